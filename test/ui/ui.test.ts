import { describe, expect, it } from 'vitest';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { App } from '../../src/ui/App';
import { SHORTCUTS, isTypingTarget, matchShortcut } from '../../src/ui/shortcuts';
import { formatEta, formatNumber } from '../../src/core/format';
import { createPlaygroundStore } from '../../src/state/session/store';
import { PlaygroundSession } from '../../src/state/session/session';
import { createSessionServices } from '../../src/state/session/services';
import { TrainClient, type WorkerLike } from '../../src/worker/client';
import { describeProblems, parseSettings } from '../../src/state/settings/url-schema';

const el = (tag: string, inside?: string) => ({
  closest: (sel: string) => (inside && sel.includes(inside) ? {} : sel.split(/,\s*/).includes(tag) ? {} : null),
  isContentEditable: false,
});

describe('keyboard shortcuts table', () => {
  it('space / s / r map to toggle / step / reset, once each', () => {
    expect(SHORTCUTS.map((s) => [s.key, s.action])).toEqual([
      [' ', 'toggle'],
      ['s', 'step'],
      ['r', 'reset'],
    ]);
    const ev = (key: string, target: unknown = null, mods: Partial<KeyboardEvent> = {}) =>
      matchShortcut({ key, ctrlKey: false, metaKey: false, altKey: false, target: target as EventTarget, ...mods });
    expect(ev(' ')?.action).toBe('toggle');
    expect(ev('S')?.action).toBe('step');
    expect(ev('r')?.action).toBe('reset');
    expect(ev('r', null, { ctrlKey: true })).toBeNull(); // Ctrl+R reloads
    expect(ev('x')).toBeNull();
  });
  it('is ignored while focus is on a control or inside a dialog', () => {
    expect(isTypingTarget(el('input') as unknown as EventTarget)).toBe(true);
    expect(isTypingTarget(el('select') as unknown as EventTarget)).toBe(true);
    expect(isTypingTarget(el('textarea') as unknown as EventTarget)).toBe(true);
    expect(isTypingTarget(el('div', 'dialog') as unknown as EventTarget)).toBe(true);
    // Space on a focused "Reset" / "Classroom link…" button presses that button
    expect(isTypingTarget(el('button') as unknown as EventTarget)).toBe(true);
    expect(isTypingTarget(el('div', 'role="button"') as unknown as EventTarget)).toBe(true);
    expect(isTypingTarget(el('div', 'role="slider"') as unknown as EventTarget)).toBe(true);
    expect(isTypingTarget(el('div', '[contenteditable="true"]') as unknown as EventTarget)).toBe(true);
    expect(isTypingTarget(el('div') as unknown as EventTarget)).toBe(false);
    expect(isTypingTarget(el('body') as unknown as EventTarget)).toBe(false);
    expect(isTypingTarget(null)).toBe(false);
  });
});

describe('formatters', () => {
  it('ETA and numbers', () => {
    expect(formatEta(null)).toBe('—');
    expect(formatEta(65)).toBe('1:05');
    expect(formatEta(3725)).toBe('1:02:05');
    expect(formatNumber(0.0001)).toBe('0.0001');
    expect(formatNumber(2 ** 31 - 1)).toBe('2.1e+9');
    expect(formatNumber(0.5)).toBe('0.5');
  });
});

describe('App (server-rendered markup)', () => {
  const idle: WorkerLike = { postMessage() {}, addEventListener() {}, terminate() {} };
  function render(search: string): string {
    const { settings, problems } = parseSettings(search);
    const store = createPlaygroundStore(settings);
    if (problems.length)
      store
        .getState()
        .pushNotice({ id: 'url', level: 'warning', title: 'Some settings in the URL were invalid', items: describeProblems(problems) });
    // server rendering reads the store's initial state: make it the current one
    store.getInitialState = store.getState;
    const session = new PlaygroundSession(store, { createClient: () => new TrainClient(() => idle) });
    return renderToString(createElement(App, { pg: { store, session, services: createSessionServices(session) }, autoStart: false }));
  }

  it('has the four controls with accessible names, a live region and the shortcut hints', () => {
    const html = render('');
    for (const name of ['Train', 'Pause', 'Step', 'Reset']) expect(html).toMatch(new RegExp(`<button[^>]*>${name}</button>`));
    expect(html).toContain('aria-live="polite"');
    expect(html).toContain('aria-keyshortcuts="Space"');
    expect(html).toContain('aria-label="Backend: choosing"');
    expect(html).toContain('Start stage 2'); // the default loss is GCL (two stages)
  });

  it('offers stage 2 only for two-stage losses', () => {
    for (const loss of ['kps', 'ldam', 'balancedSoftmax', 'ce']) expect(render(`?loss=${loss}`)).not.toContain('Start stage 2');
  });

  it('renders one control per hyperparameter of the chosen loss, with its help linked by aria-describedby', () => {
    const html = render('?loss=kps');
    for (const key of ['maxM', 's', 'ga']) expect(html).toContain(`data-testid="hp-${key}"`);
    expect(html).toMatch(/aria-describedby="[^"]+-help"/);
    expect(html).toContain('role="tooltip"');
    // KPS forces the cosine head: disabled with the reason
    expect(html).toMatch(/<select[^>]*disabled=""[^>]*>[\s\S]*Cosine/);
    expect(html).toContain('is defined on the cosine classifier');
  });

  it('never renders markup from the URL', () => {
    const html = render('?profile=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&lr=%3Cscript%3Ex%3C%2Fscript%3E');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<script>x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('Some settings in the URL were invalid');
  });
});
