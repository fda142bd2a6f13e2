/**
 * The Lesson (state in src/state/session/lesson.ts): the header's "Lesson" button, the lesson bar (sticky at the bottom of
 * the window, so the chart it points at and its text are seen together), and its text in presenter mode. The chart
 * of the step is marked on the root element (`data-lesson-chart`): lesson.css outlines that card, whatever re-renders.
 */
import { useEffect, useRef, useSyncExternalStore } from 'react';
import {
  LESSON_LENGTH,
  LESSON_STEPS,
  lessonResults,
  lessonShown,
  measuredLines,
  stage2Blocker,
  stepLook,
  stepTrained,
  type Lesson,
  type LessonState,
} from '../state/session/lesson';
import { LESSON_RUNS_DEF, type LessonRunId } from '../core/train/lesson-plan';
import { usePg, usePlayground } from './context';
import './lesson.css';
import { percent } from '../core/format';

function useLessonObject(): Lesson {
  return usePlayground().services.lesson;
}

export function useLesson(): LessonState {
  const l = useLessonObject();
  return useSyncExternalStore(
    (f) => l.subscribe(f),
    () => l.get(),
    () => l.get(),
  );
}

/** The lesson is open and this page (classroom link) offers it. */
function useLessonOn(): boolean {
  const s = useLesson();
  const shown = usePg((st) => lessonShown(st.hidden));
  return s.open && shown;
}

const focusTitle = () => requestAnimationFrame(() => document.getElementById('lesson-title')?.focus({ preventScroll: true }));

/**
 * Scrolls the step's chart into view (its card is outlined through `data-lesson-chart`). Charts mount in idle tasks
 * and can push the card away while it scrolls, so it looks again once the page has settled.
 */
function showChart(chart: string): void {
  const card = () => document.querySelector(`[data-testid="chart-${chart}"]`);
  requestAnimationFrame(() => {
    const smooth = !window.matchMedia?.('(prefers-reduced-motion: reduce)').matches;
    card()?.scrollIntoView({ block: 'start', behavior: smooth ? 'smooth' : 'auto' });
  });
  for (const ms of [800, 2000])
    setTimeout(() => {
      const c = card();
      const r = c?.getBoundingClientRect();
      if (c && r && (r.bottom <= 0 || r.top >= window.innerHeight)) c.scrollIntoView({ block: 'start' });
    }, ms);
}

export function LessonButton() {
  const l = useLessonObject();
  const shown = usePg((s) => lessonShown(s.hidden));
  const open = useLesson().open;
  if (!shown) return null;
  return (
    <button
      type="button"
      data-testid="lesson-open"
      aria-pressed={open}
      title="A narrated lesson: CE, KPS, FBL and GCL on one subset and one initial backbone"
      onClick={() => {
        if (open) l.close();
        else {
          l.open();
          focusTitle();
        }
      }}
    >
      Lesson
    </button>
  );
}

const pc = (v: number | null | undefined) => percent(v, { unit: ' %' });

function SummaryTable({ s }: { s: LessonState }) {
  const current = usePg((st) => st.current);
  const archived = usePg((st) => st.archived);
  const res = lessonResults(s, { current, archived });
  const runs = Object.keys(LESSON_RUNS_DEF) as LessonRunId[];
  return (
    <>
      <table className="lesson-table" data-testid="lesson-results">
        <caption>This lesson’s runs (last epoch, test accuracy)</caption>
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Overall</th>
            <th scope="col">Few</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r}>
              <th scope="row">{LESSON_RUNS_DEF[r].label}</th>
              <td>{pc(res[r]?.overall)}</td>
              <td>{pc(res[r]?.few)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {measuredLines().map((line) => (
        <p key={line} className="lesson-measured">
          {line}
        </p>
      ))}
    </>
  );
}

/** Whether the current step's run is on the page. */
function useStepTrained(s: LessonState): boolean {
  const current = usePg((st) => st.current);
  const archived = usePg((st) => st.archived);
  return stepTrained(s, { current, archived });
}

/** The step's sentences: what it does until it has trained, then what to look at. */
function stepText(s: LessonState, done: boolean): string {
  const step = LESSON_STEPS[s.step];
  return done ? stepLook(step) : `${step.intro} Press “Train this step”.`;
}

export function LessonPanel() {
  const l = useLessonObject();
  const s = useLesson();
  const on = useLessonOn();
  const current = usePg((x) => x.current);
  const stage1Done = usePg((x) => x.stage1Done);
  const summary = usePg((x) => x.summary);
  const phase = usePg((x) => x.phase);
  const busy = usePg((x) => x.busy);
  const step = LESSON_STEPS[s.step];
  const done = useStepTrained(s);
  const hasCharts = summary !== null;
  // the step's chart: marked on the root (outlined by lesson.css) and scrolled to on entering the step and once trained
  useEffect(() => {
    const root = document.documentElement;
    if (!on) {
      root.removeAttribute('data-lesson-chart');
      return;
    }
    root.setAttribute('data-lesson-chart', step.chart);
    return () => root.removeAttribute('data-lesson-chart');
  }, [on, step.chart]);
  const shownFor = useRef('');
  useEffect(() => {
    const key = `${s.step}:${done}`;
    if (!on || !hasCharts || shownFor.current === key) return;
    shownFor.current = key;
    showChart(step.chart);
  }, [on, hasCharts, s.step, done, step.chart]);
  if (!on) return null;
  const training = s.training !== null;
  const blocker = step.run === 'gcl2' && !done && !training ? stage2Blocker(s, { current, stage1Done, summary }) : null;
  const canTrain =
    !!step.run && !done && !training && !blocker && (phase === 'ready' || phase === 'paused' || phase === 'stageDone') && !busy;
  const move = (d: 1 | -1) => {
    l.go(d);
    focusTitle();
  };
  return (
    <section className="lesson" aria-labelledby="lesson-title" data-testid="lesson" data-step={s.step + 1} data-step-id={step.id}>
      <div className="lesson-head">
        <h2 id="lesson-title" tabIndex={-1}>
          Lesson{' '}
          <span className="lesson-count">
            step {s.step + 1} of {LESSON_LENGTH}
          </span>
          : {step.title}
        </h2>
        <button type="button" className="lesson-skip" onClick={() => l.close()} data-testid="lesson-close">
          Skip the lesson
        </button>
      </div>
      <p className="lesson-text" aria-live="polite" data-testid="lesson-text">
        {training ? `Training ${LESSON_RUNS_DEF[s.training!].label}… ${step.intro}` : stepText(s, done)}
      </p>
      {blocker && <p className="lesson-note">{blocker}</p>}
      {s.error && (
        <p className="lesson-note" role="alert" data-testid="lesson-error">
          {s.error}
        </p>
      )}
      {step.id === 'summary' && <SummaryTable s={s} />}
      <div className="lesson-buttons">
        <button type="button" onClick={() => move(-1)} disabled={s.step === 0 || training} data-testid="lesson-back">
          Back
        </button>
        {step.run && (
          <button type="button" className="primary" onClick={() => void l.trainStep()} disabled={!canTrain} data-testid="lesson-train">
            {done ? 'Trained' : training ? 'Training…' : 'Train this step'}
          </button>
        )}
        <button type="button" onClick={() => showChart(step.chart)} disabled={!hasCharts} data-testid="lesson-show">
          Show the chart
        </button>
        <button type="button" onClick={() => move(1)} disabled={s.step === LESSON_LENGTH - 1 || training} data-testid="lesson-next">
          Next
        </button>
      </div>
    </section>
  );
}

/** The lesson's text above a chart shown full window (the rest of the page is inert then). */
export function LessonPresenterNote() {
  const s = useLesson();
  const on = useLessonOn();
  const done = useStepTrained(s);
  if (!on) return null;
  const step = LESSON_STEPS[s.step];
  return (
    <p className="lesson-present-note" data-testid="lesson-present-note">
      <strong>
        Lesson {s.step + 1} / {LESSON_LENGTH}: {step.title}.
      </strong>{' '}
      {stepText(s, done)}
    </p>
  );
}
