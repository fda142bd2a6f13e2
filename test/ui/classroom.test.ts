import { describe, expect, it } from 'vitest';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { App } from '../../src/ui/App';
import { createPlaygroundStore } from '../../src/state/session/store';
import { PlaygroundSession } from '../../src/state/session/session';
import { createSessionServices } from '../../src/state/session/services';
import { TrainClient, type WorkerLike } from '../../src/worker/client';
import { parseSettings } from '../../src/state/settings/url-schema';
import { HIDEABLE } from '../../src/state/settings/classroom';

/** Server-rendered markup of the app for a URL (hidden controls from its hide=). */
function render(search: string): string {
  const idle: WorkerLike = { postMessage() {}, addEventListener() {}, terminate() {} };
  const { settings, hidden } = parseSettings(search);
  const store = createPlaygroundStore(settings);
  store.getState().setHidden(hidden);
  store.getInitialState = store.getState;
  const session = new PlaygroundSession(store, { createClient: () => new TrainClient(() => idle) });
  return renderToString(createElement(App, { pg: { store, session, services: createSessionServices(session) }, autoStart: false }));
}

describe('classroom link (server-rendered markup)', () => {
  it('without hide= everything is there, with the Classroom link button and no hidden-controls line', () => {
    const html = render('?loss=kps');
    for (const id of ['field-loss', 'field-model', 'field-head', 'field-dataset', 'field-imbalance', 'field-lr', 'hp-maxM'])
      expect(html).toContain(`data-testid="${id}"`);
    expect(html).toMatch(/<button[^>]*aria-label="Classroom link…"[^>]*>/); // a phone shows its short word
    expect(html).toMatch(/<button[^>]*>Reset<\/button>/);
    expect(html).toMatch(/<button[^>]*>Export…<\/button>/);
    expect(html).not.toContain('data-testid="classroom-line"');
  });

  it('hidden controls are not rendered; the others, the fixed loss name and the escape hatch are', () => {
    const html = render('?loss=kps&hide=loss,model,reset,export');
    for (const id of ['field-loss', 'field-model', 'field-head']) expect(html).not.toContain(`data-testid="${id}"`);
    expect(html).not.toMatch(/<button[^>]*>Reset<\/button>/);
    expect(html).not.toMatch(/<button[^>]*>Export…<\/button>/);
    expect(html).not.toContain('<kbd>R</kbd>');
    expect(html).toContain('<kbd>S</kbd>');
    // the loss comes from the URL and its hyperparameters stay
    expect(html).toContain('data-testid="loss-fixed"');
    expect(html).toContain('data-testid="hp-maxM"');
    for (const id of ['field-dataset', 'field-imbalance', 'field-lr']) expect(html).toContain(`data-testid="${id}"`);
    expect(html).toContain('Some controls are hidden by this classroom link.');
    expect(html).toMatch(/<button[^>]*>Show all controls<\/button>/);
    expect(html).toMatch(/<button[^>]*aria-label="Classroom link…"[^>]*>/); // a phone shows its short word
    expect(html).toContain('<h2 id="sec-model">Optimiser</h2>');
  });

  it('every setting hidden: the configuration panel is gone and the charts take the width', () => {
    const all = HIDEABLE.filter((h) => h.area.startsWith('config-'))
      .map((h) => h.id)
      .join(',');
    const html = render(`?hide=${all}`);
    expect(html).not.toContain('aria-label="Configuration"');
    expect(html).toContain('class="layout no-config"');
    // no control that changes a setting is left; Open comparison (a file of pinned runs, no setting) stays
    const controls = html.match(/<(select|input)[^>]*>/g) ?? [];
    expect(controls.filter((c) => !c.includes('data-testid="comparison-open"'))).toEqual([]);
    expect(controls.length).toBe(1);
    expect(render('').includes('class="layout no-config"')).toBe(false);
  });
});
