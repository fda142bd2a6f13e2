/*
 * Offline after the first visit (issue 11). Hand-written rather than vite-plugin-pwa: a dozen lines of policy, no
 * generated Workbox runtime, and the data pack is cached by the training worker itself (Cache Storage
 * 'ltpg-data-v1', with progress and revalidation), so this worker only keeps the app shell:
 *  - navigations: network first, the cached page when offline;
 *  - /assets/ (hashed, immutable: scripts, styles, wasm): cache first;
 *  - /data/: not touched (the training worker's own cache);
 *  - 'precache' message (posted by the page once it is ready, so it does not compete with the first download):
 *    caches every file of the build listed in sw-assets.json;
 *  - the page and /assets/ (its workers' scripts among them) are served with COOP/COEP, so a static host that cannot
 *    set headers still gets a cross-origin-isolated page (threaded wasm) from the second load on (src/csp.ts).
 */
const APP_CACHE = 'ltpg-app-v1';
const scopeUrl = () => new URL('./', self.registration.scope).href;

/** `res` with the cross-origin isolation headers (same values as ISOLATION_HEADERS in src/csp.ts). */
function isolated(res) {
  if (!res || res.status === 0) return res; // opaque or an error: nothing to add
  const headers = new Headers(res.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}

self.addEventListener('install', () => self.skipWaiting());

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key.startsWith('ltpg-app-') && key !== APP_CACHE) await caches.delete(key);
      await self.clients.claim();
    })(),
  );
});

async function precache() {
  const cache = await caches.open(APP_CACHE);
  const res = await fetch(new URL('sw-assets.json', scopeUrl()), { cache: 'no-cache' });
  if (!res.ok) return;
  const files = await res.json();
  for (const f of files) {
    const url = new URL(f, scopeUrl()).href;
    if (await cache.match(url)) continue;
    try {
      const r = await fetch(url);
      if (r.ok) await cache.put(url, r);
    } catch {
      /* offline again: the next visit finishes it */
    }
  }
  if (!(await cache.match(scopeUrl()))) {
    const page = await fetch(scopeUrl()).catch(() => null);
    if (page && page.ok) await cache.put(scopeUrl(), page);
  }
}

self.addEventListener('message', (event) => {
  if (event.data === 'precache') event.waitUntil(precache());
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || url.pathname.includes('/data/')) return;
  if (req.mode === 'navigate') {
    event.respondWith(
      fetch(req)
        .then((res) => {
          if (res.ok) {
            const copy = res.clone();
            void caches.open(APP_CACHE).then((c) => c.put(scopeUrl(), copy));
          }
          return isolated(res);
        })
        .catch(async () => isolated(await caches.match(scopeUrl())) || Response.error()),
    );
    return;
  }
  if (!url.pathname.includes('/assets/')) return;
  event.respondWith(
    caches
      .match(req)
      .then(
        (hit) =>
          hit ||
          fetch(req).then((res) => {
            if (res.ok) {
              const copy = res.clone();
              void caches.open(APP_CACHE).then((c) => c.put(req, copy));
            }
            return res;
          }),
      )
      .then(isolated),
  );
});
