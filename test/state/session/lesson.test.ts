/**
 * The Lesson's state: the step machine, its URL parameter and storage, the settings of each step (the same as the
 * `reproduce --lesson` measurement; a classroom link's hidden settings kept), the measured spread it quotes (from the
 * committed lesson.json), and the whole lesson trained on the real engine (in-process, cpu, tiny data).
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/core/backend';
import type { TrainConfig } from '../../../src/core/train/config';
import { LESSON_CLAIMS, lessonClaimResults, type ReproducedSummary } from '../../../src/node/reproduce/summary';
import { PROFILES, RUNS, runConfig } from '../../../src/node/reproduce/runs';
import { SETTING_HIDE_IDS, controlShown, type HideId } from '../../../src/state/settings/classroom';
import {
  LESSON_CLAIM_TEXT,
  LESSON_CLOSED,
  LESSON_LENGTH,
  LESSON_STEPS,
  Lesson,
  lessonClose,
  lessonGo,
  lessonOpen,
  lessonResults,
  lessonSettings,
  lessonShown,
  lessonTrained,
  measuredLines,
  parseLessonParam,
  readStored,
  stage2Blocker,
  stepDone,
  stepLook,
  stepTrained,
  withLesson,
} from '../../../src/state/session/lesson';
import { LESSON_MEASURED, LESSON_PLAN, LESSON_RUNS_DEF, type LessonRunId } from '../../../src/core/train/lesson-plan';
import { PlaygroundSession } from '../../../src/state/session/session';
import { PLAYGROUND_DEFAULTS, patchSettings, type Settings } from '../../../src/state/settings/settings';
import { createPlaygroundStore } from '../../../src/state/session/store';
import { inProcessClients, tinySettings, until } from '../../helpers/in-process-worker';

const RUN_IDS = Object.keys(LESSON_RUNS_DEF) as LessonRunId[];

class MemoryStore {
  readonly data = new Map<string, string>();
  getItem(k: string) {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.data.set(k, v);
  }
}

describe('the lesson step machine', () => {
  it('opens, moves within the steps, closes, and counts a step done once its run trained', () => {
    expect(LESSON_STEPS.map((s) => s.id)).toEqual(['ce', 'kps', 'fbl', 'gcl1', 'gcl2', 'summary']);
    expect(LESSON_STEPS.map((s) => s.chart)).toEqual(['per-class', 'kps', 'feature-norm', 'gcl-cloud', 'groups', 'per-class']);
    let s = lessonOpen(LESSON_CLOSED);
    expect(s).toMatchObject({ open: true, step: 0 });
    s = lessonGo(s, -1);
    expect(s.step).toBe(0);
    for (let i = 0; i < 10; i++) s = lessonGo(s, 1);
    expect(s.step).toBe(LESSON_LENGTH - 1);
    expect(stepDone(s)).toBe(true); // the summary has no run
    s = lessonOpen(s, 1);
    expect(stepDone(s)).toBe(false);
    s = lessonTrained({ ...s, training: 'kps', error: 'x' }, 'kps', 'run-2');
    expect(s).toMatchObject({ step: 1, training: null, error: null, runs: { kps: 'run-2' } });
    expect(stepDone(s)).toBe(true);
    expect(lessonOpen(s, 99).step).toBe(LESSON_LENGTH - 1);
    expect(lessonOpen(s, -3).step).toBe(0);
    const closed = lessonClose(s);
    expect(closed.open).toBe(false);
    expect(lessonOpen(closed).step).toBe(1); // reopened where it was
  });

  it('stage 2 continues the GCL stage-1 run only while it is current and in stage 1', () => {
    const st = (id: string | null, stage1Done = true, stage = 1) =>
      ({ current: id ? { id } : null, stage1Done, summary: { stage } }) as unknown as Parameters<typeof stage2Blocker>[1];
    const s = lessonTrained(lessonOpen(LESSON_CLOSED, 4), 'gcl1', 'g');
    expect(stage2Blocker(lessonOpen(LESSON_CLOSED, 4), st('g'))).toMatch(/step 4/);
    expect(stage2Blocker(s, st('other'))).toMatch(/no longer the current run/);
    expect(stage2Blocker(s, st('g', false))).toMatch(/not ready/);
    expect(stage2Blocker(s, st('g', true, 2))).toMatch(/not ready/);
    expect(stage2Blocker(s, st('g'))).toBeNull();
  });

  it('lesson=<n> in the URL (1-based) and back; storage read leniently', () => {
    expect(parseLessonParam('?lesson=1')).toBe(0);
    expect(parseLessonParam('a=1&lesson=6')).toBe(5);
    for (const bad of ['', '?lesson=0', '?lesson=7', '?lesson=x', '?lesson=1.5', '?lesson=-1'])
      expect(parseLessonParam(bad), bad).toBeNull();
    expect(withLesson('a=1', LESSON_CLOSED)).toBe('a=1');
    expect(withLesson('a=1', lessonOpen(LESSON_CLOSED, 2))).toBe('a=1&lesson=3');
    expect(withLesson('', lessonOpen(LESSON_CLOSED))).toBe('lesson=1');
    for (const bad of [null, '', '{', '3', '[]', '{"step":"x","runs":{"ce":5}}']) {
      const s = readStored(bad);
      expect(s.open, String(bad)).toBe(false);
      expect(s.runs).toEqual({});
    }
    expect(readStored('{"open":true,"step":40,"runs":{"ce":"a","bogus":"b"}}')).toEqual({
      open: true,
      step: LESSON_LENGTH - 1,
      runs: { ce: 'a' },
      training: null,
      error: null,
    });
  });
});

/** The training-relevant part of a config (per-batch logging and the engine are the page's own). */
const training = (c: TrainConfig | Settings['config']) => {
  const { logEvery: _l, engine: _e, ...rest } = structuredClone(c) as TrainConfig;
  return rest;
};

describe('the settings of each lesson step', () => {
  it('are the reproduce --lesson runs for the page seed: same subset, init, model, schedule; the loss and head change', () => {
    for (const seed of [1, 4]) {
      const base = patchSettings(PLAYGROUND_DEFAULTS, { config: { seed, loss: 'ldam', lr: 0.3, epochs: 2, mixupAlpha: 0.2 } });
      for (const id of RUN_IDS) {
        const cli = runConfig(
          RUNS.find((r) => r.id === id)!,
          { ...PROFILES.lesson, seed },
        );
        const app = lessonSettings(base, id).config;
        // the CLI leaves the loss' defaults to the trainer; the app writes them out
        expect(training(app), `${id} seed ${seed}`).toEqual(training({ ...cli, lossParams: app.lossParams }));
        expect(app.seed).toBe(seed);
        expect(app.epochs).toBe(LESSON_PLAN.epochs);
        expect(app.loss).toBe(LESSON_RUNS_DEF[id].loss);
        expect(app.head).toBe(LESSON_RUNS_DEF[id].head);
        expect(app.mixupAlpha).toBeUndefined();
        expect(app.logEvery).toBe(base.config.logEvery);
      }
    }
  });

  it('a classroom link: hidden settings keep their values; the Lesson goes with the loss, its parameters, the head or stage 2', () => {
    const base = patchSettings(PLAYGROUND_DEFAULTS, {
      config: { epochs: 1, headImages: 20, evalPerClass: 2, sampler: 'classBalanced', lr: 0.2 },
    });
    const keep: Record<string, (c: Settings['config']) => unknown> = {
      imbalance: (c) => [c.imbalance, c.headImages, c.seed],
      optimiser: (c) => [c.epochs, c.lr, c.batchSize],
      sampling: (c) => [c.evalPerClass, c.sampler],
      data: (c) => c.dataset,
    };
    for (const [id, get] of Object.entries(keep)) {
      const s = lessonSettings(base, 'ce', new Set([id as HideId])).config;
      expect(get(s), id).toEqual(get(base.config));
      expect(s.loss).toBe('ce');
    }
    const open = lessonSettings(base, 'ce').config;
    expect([open.epochs, open.headImages, open.evalPerClass, open.sampler]).toEqual([
      LESSON_PLAN.epochs,
      LESSON_PLAN.headImages,
      50,
      'instance',
    ]);
    for (const id of SETTING_HIDE_IDS) {
      const always = ['loss', 'loss-params', 'model', 'stage2'].includes(id);
      expect(lessonShown([id]), id).toBe(!always);
      expect(controlShown('lesson', [id])).toBe(!always);
    }
    expect(lessonShown(['chart-kps', 'export', 'compare'])).toBe(true);
  });

  it('the summary quotes the committed measurement (results/reproduce/lesson/lesson.json)', () => {
    const json = JSON.parse(readFileSync('results/reproduce/lesson/lesson.json', 'utf8')) as {
      profile: { epochs: number; headImages: number; batch: number };
      seeds: { seed: number; sums: { id: LessonRunId; final: { overall: number; few: number }; normRatioTail3Head3: number }[] }[];
    };
    expect(json.profile).toMatchObject({ epochs: LESSON_PLAN.epochs, headImages: LESSON_PLAN.headImages, batch: LESSON_PLAN.batch });
    expect(json.seeds.map((s) => s.seed)).toEqual([...LESSON_PLAN.seeds]);
    expect(LESSON_MEASURED.seeds).toBe(json.seeds.length);
    const r1 = (x: number) => Math.round(1000 * x) / 10;
    for (const id of RUN_IDS) {
      const v = (k: 'overall' | 'few') => json.seeds.map((s) => r1(s.sums.find((x) => x.id === id)!.final[k]));
      for (const k of ['overall', 'few'] as const)
        expect(LESSON_MEASURED.spread[id][k], `${id} ${k}`).toEqual([Math.min(...v(k)), Math.max(...v(k))]);
    }
    // the claims that failed, on which seeds, by the measurement's own checker; and the runs below CE overall
    const failed: Record<string, number[]> = {};
    for (const seed of json.seeds) {
      const r = lessonClaimResults(seed.sums as unknown as ReproducedSummary[]);
      for (const c of LESSON_CLAIMS) if (r[c.id] !== true) (failed[c.id] ??= []).push(seed.seed);
    }
    expect(failed).toEqual(LESSON_MEASURED.failed);
    expect(Object.keys(LESSON_CLAIM_TEXT).sort()).toEqual(LESSON_CLAIMS.map((c) => c.id).sort());
    const overall = (s: (typeof json.seeds)[number], id: LessonRunId) => s.sums.find((x) => x.id === id)!.final.overall;
    for (const id of RUN_IDS.filter((r) => r !== 'ce')) {
      const below = json.seeds.filter((s) => overall(s, id) < overall(s, 'ce')).map((s) => s.seed);
      expect(below, id).toEqual(LESSON_MEASURED.belowCeOverall[id] ?? []);
    }
    const text = measuredLines().join(' ');
    expect(text).toContain(`CE ${Math.round(LESSON_MEASURED.spread.ce.few[0])}–${Math.round(LESSON_MEASURED.spread.ce.few[1])} %`);
    expect(text.includes('What does not always hold')).toBe(Object.keys(failed).length > 0);
    for (const [c, seeds] of Object.entries(failed))
      expect(text).toContain(`${LESSON_CLAIM_TEXT[c]} (not on seed${seeds.length > 1 ? 's' : ''} ${seeds[0]}`);
    // each step says what the measurement found about it
    const look = (id: string) => stepLook(LESSON_STEPS.find((s) => s.id === id)!);
    for (const id of ['kps', 'fbl'] as const)
      if (LESSON_MEASURED.belowCeOverall[id]?.length) expect(look(id)).toMatch(/overall it ended below CE on seed/);
    if (failed['few-gcl1']) expect(look('gcl1')).toMatch(/Not on every seed/);
    expect(look('ce')).toBe(LESSON_STEPS[0].look);
  });
});

describe('the whole lesson on the real engine (in-process, cpu, tiny data)', () => {
  beforeAll(async () => {
    await initBackend({ order: ['cpu'] });
  });

  it('trains every step on one subset and init, pins each run, stage 2 on the GCL run; a reload resumes the step', async () => {
    const settings = tinySettings({ batchSize: 32, epochs: 1, evalPerClass: 3, seed: 3 });
    const store = createPlaygroundStore(settings);
    // a classroom link that fixes the data, optimiser and sampling: the lesson keeps the tiny values
    store.getState().setHidden(['imbalance', 'optimiser', 'sampling']);
    const session = new PlaygroundSession(store, {
      createClient: inProcessClients().createClient,
      schedule: (cb) => setTimeout(cb, 5),
      flushIntervalMs: 0,
    });
    const storage = new MemoryStore();
    const lesson = new Lesson(session, storage);
    lesson.init('?lesson=1');
    expect(lesson.get()).toMatchObject({ open: true, step: 0 });
    await session.start();
    // a step-trained unpinned run: the first step asks before replacing it
    await session.step();
    const declined = lesson.trainStep();
    await until(() => store.getState().confirm !== null);
    expect(store.getState().confirm!.message).toMatch(/not pinned/);
    store.getState().answerConfirm(false);
    expect(await declined).toBe('declined');
    // stage 2 before GCL stage 1: refused with the reason
    lesson.open(4);
    expect(await lesson.trainStep()).toBe('failed');
    expect(lesson.get().error).toMatch(/step 4/);
    lesson.open(0);
    const first = lesson.trainStep();
    await until(() => store.getState().confirm !== null);
    store.getState().answerConfirm(true);
    expect(await first).toBe('done');
    for (let i = 1; i < 5; i++) {
      lesson.go(1);
      expect(lesson.get().step).toBe(i);
      expect(stepDone(lesson.get())).toBe(false);
      expect(await lesson.trainStep(), LESSON_STEPS[i].id).toBe('done');
      expect(stepDone(lesson.get())).toBe(true);
    }
    const s = store.getState();
    const all = [...s.archived, s.current!];
    const pinned = all.filter((r) => r.pinned);
    expect(pinned.map((r) => r.settings?.config.loss)).toEqual(['ce', 'kps', 'fbl', 'gcl']);
    expect(pinned.map((r) => r.settings?.config.head)).toEqual(['linear', 'cosine', 'linear', 'cosine']);
    expect(new Set(pinned.map((r) => r.dataKey)).size).toBe(1);
    // the hidden settings kept the link's tiny values; the seed is the page's
    for (const r of pinned)
      expect([r.settings?.config.epochs, r.settings?.config.evalPerClass, r.settings?.config.seed]).toEqual([1, 3, 3]);
    expect(s.current!.epochs.map((e) => e.stage)).toEqual([1, 2, 2, 2]);
    expect(lesson.get().runs.gcl1).toBe(lesson.get().runs.gcl2);
    const res = lessonResults(lesson.get(), s);
    expect(Object.keys(res).sort()).toEqual([...RUN_IDS].sort());
    for (const id of RUN_IDS) expect(res[id]!.overall).toBeGreaterThanOrEqual(0);
    expect(s.announcement).toMatch(/Lesson step 5 trained/);
    for (let i = 0; i < LESSON_LENGTH; i++) expect(stepTrained(lesson.get(), s, i), LESSON_STEPS[i].id).toBe(true);
    // a page without those runs (after a reload): every step with a run can train again
    for (let i = 0; i < LESSON_LENGTH; i++)
      expect(stepTrained(lesson.get(), { current: null, archived: [] }, i)).toBe(LESSON_STEPS[i].run === null);
    lesson.go(1);
    expect(LESSON_STEPS[lesson.get().step].id).toBe('summary');

    // a reload: a new page with the same storage opens at the same step with the same runs
    const again = new Lesson(session, storage);
    again.init('');
    expect(again.get()).toMatchObject({ open: true, step: 5, runs: lesson.get().runs });
    // a link's lesson= wins over the stored step
    again.init('?lesson=2');
    expect(again.get().step).toBe(1);
    lesson.close();
    const closed = new Lesson(session, storage);
    closed.init('');
    expect(closed.get().open).toBe(false);
    session.dispose();
  }, 180_000);
});
