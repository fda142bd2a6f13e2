import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import { createPlaygroundStore } from './state/session/store';
import { PlaygroundSession } from './state/session/session';
import { Autosaver } from './state/persistence/autosave';
import { IdbAutosaveStorage } from './state/persistence/autosave-idb';
import { Tabs } from './state/session/tabs';
import { describeProblems, parseSeedsParam, parseSettings, serialiseUrl, withHide, withSeeds } from './state/settings/url-schema';
import { withLesson } from './state/session/lesson';
import { createSessionServices } from './state/session/services';
import { askWasmThreads } from './worker/wasm-threads-ask';
import './ui/styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

const { settings, problems, hidden } = parseSettings(window.location.search);
const store = createPlaygroundStore(settings);
// the wasm thread setting, for every worker this page starts (a running wasm module keeps its count: see the badge)
askWasmThreads(settings.threads);
store.subscribe((s, prev) => {
  if (s.settings.threads !== prev.settings.threads) askWasmThreads(s.settings.threads);
});
// a classroom link's hidden controls (hide=…); they stay in every URL the page writes until "Show all controls"
store.getState().setHidden(hidden);
// the Seeds field (seeds=…): read once here, written back with every URL the page writes
store.getState().setSeedsText(parseSeedsParam(window.location.search));
if (problems.length) {
  store.getState().pushNotice({
    id: 'url',
    level: 'warning',
    title: 'Some settings in the URL were invalid and were replaced by defaults or ignored:',
    items: describeProblems(problems),
  });
}
// the other tabs of the playground: told when two train at once, and which saved runs belong to a tab still open
const tabs = new Tabs(store);
tabs.start();
// after every finished epoch the run is saved to IndexedDB (one record per run); saved runs are offered on the next load
const autosave = new Autosaver(new IdbAutosaveStorage(), store, { tab: tabs.tab, openTabs: () => tabs.openTabs() });
const session = new PlaygroundSession(store, {
  onCheckpoint: (snapshot) => void autosave.save(snapshot),
  writeUrl: (query) => replaceUrl(withHide(query, store.getState().hidden)),
});
// the Lesson: its step in localStorage and in the URL (lesson=<step>, which opens it there)
const services = createSessionServices(session, storageOrNull());
const lesson = services.lesson;
lesson.init(window.location.search);
function storageOrNull(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null; // storage blocked: the lesson lasts for this page load
  }
}
function replaceUrl(query: string): void {
  const q = withLesson(withSeeds(query, store.getState().seedsText), lesson.get());
  window.history.replaceState(window.history.state, '', `${window.location.pathname}?${q}`);
}
store.subscribe((s, prev) => {
  if (s.hidden !== prev.hidden || s.seedsText !== prev.seedsText) replaceUrl(serialiseUrl(s.settings, s.hidden));
});
lesson.subscribe(() => replaceUrl(serialiseUrl(store.getState().settings, store.getState().hidden)));
// one session per page (StrictMode runs effects twice; session.start() is idempotent)
const pg = { store, session, autosave, services };
void autosave.init();

// offline after the first visit (public/sw.js); the app shell is precached once the first run is ready, so it does not
// compete with the first download
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  navigator.serviceWorker
    .register(`${import.meta.env.BASE_URL}sw.js`)
    .then(() => navigator.serviceWorker.ready)
    .then((reg) => {
      if (reloadForIsolation()) return;
      const post = () => reg.active?.postMessage('precache');
      if (store.getState().phase === 'ready') post();
      else {
        const off = store.subscribe((s) => {
          if (s.phase !== 'ready') return;
          off();
          post();
        });
      }
    })
    .catch(() => undefined); // no service worker (private mode, file://): online only
}

/**
 * A host without COOP/COEP headers: the service worker adds them (public/sw.js), but only to pages it serves, so a
 * page it did not serve reloads once through it while nothing is trained yet — threaded wasm from then on. Once per
 * tab session: a browser that still does not isolate stays on one thread (the backend badge says why).
 */
function reloadForIsolation(): boolean {
  if (window.crossOriginIsolated || !window.isSecureContext) return false;
  const phase = store.getState().phase;
  if (phase !== 'starting' && phase !== 'loading' && phase !== 'ready') return false;
  try {
    const key = 'ltpg:isolation-reload';
    if (sessionStorage.getItem(key)) return false;
    sessionStorage.setItem(key, '1');
  } catch {
    return false; // no session storage: no way to stop after one try
  }
  const reload = () => window.location.reload();
  if (navigator.serviceWorker.controller) reload();
  else navigator.serviceWorker.addEventListener('controllerchange', reload, { once: true });
  return true;
}

createRoot(root).render(
  <StrictMode>
    <App pg={pg} />
  </StrictMode>,
);
