/**
 * The Lesson: a narrated sequence on one data subset and one initial backbone (the page's seed) — CE, KPS + GA, FBL,
 * GCL stage 1 → stage 2, then a summary. Each step sets the settings of its run (./lesson-plan.ts, the same as the
 * `reproduce --lesson` measurement), trains, pins the run and points at the chart that shows the mechanism.
 *
 * The step machine is pure (`lessonGo` …); `Lesson` holds it for a page (subscribe / get), keeps it in localStorage
 * and in the URL (`lesson=<step>`, 1-based), and trains a step through the session.
 *
 * Classroom links: the steps change the loss, its hyperparameters, the head (model) and the stage-2 settings, so
 * hiding any of those hides the Lesson (CONTROL_CHANGES.lesson in ./classroom.ts); the plan's data, optimiser and
 * sampling values apply only to the settings the link shows — a hidden one keeps the link's value.
 */
import type { ChartId } from './chart-catalog';
import { controlShown, SETTING_HIDE_ID, type HideId } from '../settings/classroom';
import { LESSON_MEASURED, LESSON_PLAN, LESSON_RUNS_DEF, lessonRunConfig, type LessonRunId } from '../../core/train/lesson-plan';
import type { KeyValueStore } from './backend-choice';
import { askRoomForPins } from '../runs/pin-room';
import { waitStageDone, type WaitResult } from '../runs/run-wait';
import type { PlaygroundSession } from './session';
import { makeSettings, type Settings } from '../settings/settings';
import type { TrainConfig } from '../../core/train/config';
import type { RunRecord } from './slices/metrics';
import type { PlaygroundState } from './store';

export type LessonStepId = LessonRunId | 'summary';

export interface LessonStep {
  id: LessonStepId;
  title: string;
  /** The run this step trains (null: the summary). */
  run: LessonRunId | null;
  /** The chart that shows the mechanism (highlighted and scrolled to). */
  chart: ChartId;
  /** What the step does, before it has trained. */
  intro: string;
  /** What to look at once it has. */
  look: string;
}

export const LESSON_STEPS: readonly LessonStep[] = [
  {
    id: 'ce',
    title: 'Plain cross-entropy',
    run: 'ce',
    chart: 'per-class',
    intro: 'First the baseline: plain cross-entropy on a long-tailed Fashion-MNIST subset — a few classes with many images, many with few.',
    look: 'Look at the per-class chart: the bars on the right — the tail classes with the fewest images — stay low while the head classes on the left are almost always right.',
  },
  {
    id: 'kps',
    title: 'KPS with gradient adjustment',
    run: 'kps',
    chart: 'kps',
    intro:
      'KPS (key-point sensitive loss) gives every class its own logit scale and margin, from the same subset and the same initial weights.',
    look: 'Look at the KPS chart: head classes get larger scales s̃, tail classes larger margins Δ. The “GA on” line on the time charts marks when gradient adjustment gives tail samples a larger scale too.',
  },
  {
    id: 'fbl',
    title: 'Feature-balanced loss',
    run: 'fbl',
    chart: 'feature-norm',
    intro: 'FBL adds a stronger push to the features of rare classes, growing over training with the curriculum α(t).',
    look: 'Look at the feature-norm chart: the tail classes’ norms climb as α(t) rises towards 1, where under CE they stayed small.',
  },
  {
    id: 'gcl1',
    title: 'GCL stage 1',
    run: 'gcl1',
    chart: 'gcl-cloud',
    intro: 'GCL (Gaussian clouded logit) perturbs each class’s logit with Gaussian noise whose amplitude grows as the class gets rarer.',
    look: 'Look at the cloud chart: the rarer classes on the right get the larger clouds, so their logits are pushed down harder during training and they learn wider margins.',
  },
  {
    id: 'gcl2',
    title: 'GCL stage 2',
    run: 'gcl2',
    chart: 'groups',
    intro: `Stage 2 keeps GCL’s backbone frozen and re-trains only the classifier with class-balanced sampling (${LESSON_PLAN.stage2Epochs} epochs).`,
    look: 'Look at the many / medium / few chart after the stage-2 mark: accuracy moves from the head to the tail — the few line rises while the many line gives up a little.',
  },
  {
    id: 'summary',
    title: 'Summary',
    run: null,
    chart: 'per-class',
    intro: 'The per-class chart now holds every pinned run of the lesson, on the same subset and initial weights.',
    look: 'Compare the tail bars on the right, run by run.',
  },
];

export const LESSON_LENGTH = LESSON_STEPS.length;

/** The lesson's state: open or not, the step (0-based) and the record id of each run it trained. */
export interface LessonState {
  open: boolean;
  step: number;
  runs: Partial<Record<LessonRunId, string>>;
  /** The run being trained now (not persisted). */
  training: LessonRunId | null;
  /** Why the last training did not finish (not persisted). */
  error: string | null;
}

export const LESSON_CLOSED: LessonState = { open: false, step: 0, runs: {}, training: null, error: null };

const clampStep = (n: number) => Math.max(0, Math.min(LESSON_LENGTH - 1, Math.trunc(n)));

/** Opens the lesson at `step` (0-based; default where it was). */
export function lessonOpen(s: LessonState, step = s.step): LessonState {
  return { ...s, open: true, step: clampStep(step), error: null };
}

/** Next (+1) or Back (−1), clamped to the steps; a move clears the last error. */
export function lessonGo(s: LessonState, delta: 1 | -1): LessonState {
  return { ...s, step: clampStep(s.step + delta), error: null };
}

export function lessonClose(s: LessonState): LessonState {
  return { ...s, open: false, training: null, error: null };
}

/** The step's run trained as record `id`. */
export function lessonTrained(s: LessonState, run: LessonRunId, id: string): LessonState {
  return { ...s, runs: { ...s.runs, [run]: id }, training: null, error: null };
}

/** Whether the step's run has been trained (a step without a run counts as done). */
export function stepDone(s: LessonState, step = s.step): boolean {
  const run = LESSON_STEPS[step].run;
  return run === null || s.runs[run] !== undefined;
}

/** Stage 2 continues the GCL stage-1 run: it can start only while that run is the current one and in stage 1. */
export function stage2Blocker(s: LessonState, st: Pick<PlaygroundState, 'current' | 'stage1Done' | 'summary'>): string | null {
  const id = s.runs.gcl1;
  if (!id) return 'Train step 4 (GCL stage 1) first: stage 2 continues that run.';
  if (st.current?.id !== id)
    return 'Stage 2 continues the GCL stage-1 run of step 4, which is no longer the current run: train step 4 again.';
  if (!st.stage1Done || st.summary?.stage === 2) return 'The GCL stage-1 run is not ready for stage 2.';
  return null;
}

// ---------------------------------------------------------------- settings

/** Kept from the page whatever the plan: the seed (the page's subset and init), per-batch logging, the engine. */
const KEEP: ReadonlySet<keyof TrainConfig> = new Set(['seed', 'logEvery', 'engine']);

/**
 * The settings of one lesson run: the plan's configuration for the page's seed, except that settings a classroom
 * link hides keep the page's values (and the seed, logging and engine always do). The backend choice stays.
 */
export function lessonSettings(base: Settings, run: LessonRunId, hidden: ReadonlySet<HideId> = new Set()): Settings {
  const plan = lessonRunConfig(run, base.config.seed) as unknown as Record<string, unknown>;
  const from = base.config as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of new Set([...Object.keys(from), ...Object.keys(plan)]) as Set<keyof TrainConfig>) {
    const keep = KEEP.has(k) || hidden.has(SETTING_HIDE_ID[k]);
    const v = keep ? from[k] : plan[k];
    if (v !== undefined) out[k] = structuredClone(v);
  }
  return makeSettings(out as unknown as TrainConfig, base.backend, base.threads);
}

/** The Lesson is offered unless a classroom link hides a setting its steps change. */
export const lessonShown = (hidden: ReadonlySet<HideId> | readonly HideId[]) => controlShown('lesson', hidden);

// ---------------------------------------------------------------- results

export interface StepResult {
  overall: number | null;
  few: number | null;
}

/** The last epoch of `stage` in a run record (overall and few-class test accuracy, 0–1). */
export function recordResult(r: RunRecord | undefined, stage: 1 | 2): StepResult | null {
  const e = r?.epochs.filter((x) => x.stage === stage).at(-1);
  return e ? { overall: e.testAccuracy, few: e.groupAccuracy.few } : null;
}

/**
 * Whether the step's run is on the page (a step without a run counts as trained): after a reload the lesson's
 * earlier runs are back only when the saved run is resumed, and a step whose run is gone can be trained again.
 */
export function stepTrained(s: LessonState, st: Pick<PlaygroundState, 'current' | 'archived'>, step = s.step): boolean {
  const run = LESSON_STEPS[step].run;
  return run === null || lessonResults(s, st)[run] !== undefined;
}

/** What the page has for each trained lesson run (pinned or current). */
export function lessonResults(s: LessonState, st: Pick<PlaygroundState, 'current' | 'archived'>): Partial<Record<LessonRunId, StepResult>> {
  const all = st.current ? [...st.archived, st.current] : st.archived;
  const out: Partial<Record<LessonRunId, StepResult>> = {};
  for (const run of Object.keys(LESSON_RUNS_DEF) as LessonRunId[]) {
    const id = s.runs[run];
    const r = id ? all.find((x) => x.id === id) : undefined;
    const res = recordResult(r, run === 'gcl2' ? 2 : 1);
    if (res) out[run] = res;
  }
  return out;
}

const seedList = (seeds: readonly number[]) =>
  seeds.length === 1 ? `seed ${seeds[0]}` : `seeds ${seeds.slice(0, -1).join(', ')} and ${seeds.at(-1)}`;

/** What to look at once the step has trained, with what the committed measurement found not to hold on every seed. */
export function stepLook(step: LessonStep): string {
  const m = LESSON_MEASURED;
  const of = `of the ${m.seeds} measured`;
  const below = step.run ? m.belowCeOverall[step.run] : undefined;
  const extra: string[] = [];
  if (below?.length) extra.push(`It trades head accuracy for the tail: overall it ended below CE on ${seedList(below)} ${of}.`);
  const failed = (m.failed as Record<string, readonly number[]>)['few-gcl1'];
  if (step.id === 'summary') {
    const ok = (['kps', 'fbl', 'gcl1', 'gcl2'] as const).filter(
      (r) => !(m.failed as Record<string, readonly number[]>)[`few-${r}`]?.length,
    );
    extra.push(
      `In the measurement ${ok.map((r) => LESSON_RUNS_DEF[r].label).join(', ')} lifted them above CE’s on every seed; below, what did not always hold.`,
    );
  }
  if (step.run === 'gcl1' && failed?.length)
    extra.push(
      `Not on every seed: on ${seedList(failed)} ${of} its few-class accuracy stayed below CE’s. Stage 1 shapes the features, but its classifier still sees the head classes far more often, so on some subsets the tail stays low — that is what stage 2 is for: re-training the classifier with class-balanced sampling lifted the tail above CE’s on every seed.`,
    );
  return [step.look, ...extra].join(' ');
}

const range = ([a, b]: readonly [number, number]) => `${Math.round(a)}–${Math.round(b)} %`;

/** The claims the lesson makes (the ids of LESSON_CLAIMS in src/cli/reproduce.ts, which checks them per seed). */
export const LESSON_CLAIM_TEXT: Readonly<Record<string, string>> = {
  'few-kps': 'CE’s few-class accuracy below KPS’s',
  'few-fbl': 'CE’s few-class accuracy below FBL’s',
  'few-gcl1': 'CE’s few-class accuracy below GCL stage 1’s',
  'few-gcl2': 'CE’s few-class accuracy below GCL stage 2’s',
  'gcl2-overall': 'GCL stage 2 at least as good overall as stage 1',
  'norm-fbl': 'FBL’s tail/head feature-norm ratio above CE’s',
};

/** The summary's sentences about the committed measurement: the spread over its seeds, and what does not always hold. */
export function measuredLines(): string[] {
  const m = LESSON_MEASURED;
  const runs = Object.keys(LESSON_RUNS_DEF) as LessonRunId[];
  const few = runs.map((r) => `${LESSON_RUNS_DEF[r].label} ${range(m.spread[r].few)}`);
  const overall = runs.map((r) => `${LESSON_RUNS_DEF[r].label} ${range(m.spread[r].overall)}`);
  const failed = m.failed as Record<string, readonly number[]>;
  const held = Object.keys(LESSON_CLAIM_TEXT).filter((c) => !failed[c]?.length);
  const lines = [
    `Over ${m.seeds} seeds of this lesson (npm run reproduce -- --lesson), few-class accuracy: ${few.join(', ')}.`,
    `Overall accuracy: ${overall.join(', ')}. One seed is one draw: your numbers will differ, and the spread is as large as some of the gaps.`,
    `What held on every seed: ${held.map((c) => LESSON_CLAIM_TEXT[c]).join('; ')}.`,
  ];
  const notHeld = Object.entries(failed).filter(([, seeds]) => seeds.length);
  if (notHeld.length)
    lines.push(
      `What does not always hold: ${notHeld.map(([c, seeds]) => `${LESSON_CLAIM_TEXT[c]} (not on ${seedList(seeds)})`).join('; ')}.`,
    );
  for (const [run, seeds] of Object.entries(m.belowCeOverall) as [LessonRunId, number[]][]) {
    if (seeds.length)
      lines.push(
        `${LESSON_RUNS_DEF[run].label} ended below CE in overall accuracy on ${seedList(seeds)}: in a run this short it gives up head-class accuracy for the tail.`,
      );
  }
  return lines;
}

// ---------------------------------------------------------------- the page's lesson

const STORAGE_KEY = 'ltpg:lesson';
export const LESSON_PARAM = 'lesson';

/** `lesson=<n>` (1-based) → the 0-based step; null when absent or not a step number. */
export function parseLessonParam(search: string | URLSearchParams): number | null {
  const q = typeof search === 'string' ? new URLSearchParams(search) : search;
  const raw = q.get(LESSON_PARAM);
  if (raw === null || !/^\d+$/.test(raw.trim())) return null;
  const n = Number(raw);
  return n >= 1 && n <= LESSON_LENGTH ? n - 1 : null;
}

/** Appends `lesson=<step>` while the lesson is open (a classroom link copied during the lesson opens it there). */
export function withLesson(query: string, s: LessonState): string {
  if (!s.open) return query;
  return `${query}${query ? '&' : ''}${LESSON_PARAM}=${s.step + 1}`;
}

/** The persisted part of the state, read back leniently (anything malformed: closed). */
export function readStored(raw: string | null): LessonState {
  try {
    const v = JSON.parse(raw ?? 'null') as Partial<LessonState> | null;
    if (!v || typeof v !== 'object') return LESSON_CLOSED;
    const runs: LessonState['runs'] = {};
    for (const r of Object.keys(LESSON_RUNS_DEF) as LessonRunId[]) {
      const id = (v.runs as Record<string, unknown> | undefined)?.[r];
      if (typeof id === 'string') runs[r] = id;
    }
    const step = typeof v.step === 'number' && Number.isFinite(v.step) ? clampStep(v.step) : 0;
    return { open: v.open === true, step, runs, training: null, error: null };
  } catch {
    return LESSON_CLOSED;
  }
}

export type LessonOutcome = 'done' | 'declined' | 'failed' | 'cancelled';

/** A page's lesson: its state (subscribe / get), persistence, and training a step through the session. */
export class Lesson {
  private state: LessonState = LESSON_CLOSED;
  private readonly listeners = new Set<() => void>();
  private cancelled = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly session: PlaygroundSession,
    private readonly storage: KeyValueStore | null = null,
  ) {}

  /** The state from storage, then the URL's `lesson=` (which opens it at that step). */
  init(search: string): void {
    let s = readStored(this.read());
    const step = parseLessonParam(search);
    if (step !== null) s = lessonOpen(s, step);
    this.set(s);
  }

  get(): LessonState {
    return this.state;
  }

  subscribe(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  open(step?: number): void {
    this.set(lessonOpen(this.state, step));
  }

  go(delta: 1 | -1): void {
    this.set(lessonGo(this.state, delta));
  }

  /** Skip: closes the lesson (a step in training goes on as an ordinary run). */
  close(): void {
    this.cancelled = true;
    this.wake?.();
    this.set(lessonClose(this.state));
  }

  /** Trains the current step's run and pins it; resolves when it has finished (or could not). */
  async trainStep(): Promise<LessonOutcome> {
    const step = LESSON_STEPS[this.state.step];
    const run = step.run;
    if (!run || this.state.training) return 'failed';
    const st = () => this.session.store.getState();
    this.cancelled = false;
    if (run === 'gcl2') {
      const why = stage2Blocker(this.state, st());
      if (why) return this.fail(why);
    } else {
      if (!st().runSettings || st().busy || st().phase === 'starting' || st().phase === 'loading')
        return this.fail('Wait until the data is loaded.');
      const cur = st().current;
      const lessonRun = cur && Object.values(this.state.runs).includes(cur.id);
      if (cur && !cur.pinned && !lessonRun && ((st().progress?.step ?? 0) > 0 || cur.epochs.length > 0)) {
        const ok = await st().askConfirm(
          'Start the lesson step?',
          `The current run “${cur.label}” is not pinned: the lesson replaces it. Cancel and press “Pin run” to keep it.`,
          'Train this step',
        );
        if (!ok) return 'declined';
      }
      if (!(await askRoomForPins(st(), 1, 'The lesson step'))) return 'declined';
    }
    this.set({ ...this.state, training: run, error: null });
    const hooks = { cancelled: () => this.cancelled, setWake: (w: (() => void) | null) => (this.wake = w) };
    let r: WaitResult;
    try {
      if (run === 'gcl2') {
        const id = st().current!.id;
        const plan = lessonRunConfig('gcl2', st().settings.config.seed).stage2;
        if (!(await this.session.changeSettings(lessonStage2(st().settings, plan))))
          return this.fail('The stage-2 settings were not applied.');
        await this.session.startStage2();
        r = await waitStageDone(this.session.store, id, 2, hooks);
      } else {
        await this.session.startRun(lessonSettings(st().settings, run, new Set(st().hidden)));
        const id = st().current?.id;
        if (!id) return this.fail('The run could not be set up.');
        await this.session.train();
        r = await waitStageDone(this.session.store, id, 1, hooks);
        if (r === 'ok' && !st().current?.pinned && !st().pinCurrent()) return this.fail('The run could not be pinned.');
      }
    } catch (e) {
      return this.fail(e instanceof Error ? e.message : String(e));
    }
    if (r === 'cancelled') {
      this.set({ ...this.state, training: null });
      return 'cancelled';
    }
    if (r !== 'ok') return this.fail(r === 'replaced' ? 'Another run replaced the lesson’s run (settings changed).' : 'Training failed.');
    this.set(lessonTrained(this.state, run, st().current!.id));
    st().patchRun({ announcement: `Lesson step ${this.state.step + 1} trained: ${stepLook(step)}` });
    return 'done';
  }

  private fail(why: string): LessonOutcome {
    this.set({ ...this.state, training: null, error: why });
    return 'failed';
  }

  private read(): string | null {
    try {
      return this.storage?.getItem(STORAGE_KEY) ?? null;
    } catch {
      return null;
    }
  }

  private set(s: LessonState): void {
    this.state = s;
    try {
      this.storage?.setItem(STORAGE_KEY, JSON.stringify({ open: s.open, step: s.step, runs: s.runs }));
    } catch {
      // storage blocked: the lesson lasts for this page load
    }
    this.listeners.forEach((l) => l());
  }
}

/** The settings with the lesson's stage-2 plan (what the stage-2 step changes before it starts). */
function lessonStage2(s: Settings, plan: TrainConfig['stage2']): Settings {
  return makeSettings({ ...(s.config as TrainConfig), stage2: { ...plan } }, s.backend, s.threads);
}
