/**
 * The first-visit introduction (the imbalance before the losses): a dismissible panel above the charts, three short steps — the class
 * histogram of the current data, what many / medium / few mean (the thresholds the app uses: core/data/longtail
 * groupOf), what to press first. No modal: the page works around it. Dismissed once = never again (localStorage);
 * the "?" in the header brings it back.
 */
import { useRef, useState } from 'react';
import { groupOf } from '../core/data/longtail';
import { LOSS_SHORT } from '../state/runs/run-label';
import { presetSettings } from '../state/runs/compare';
import { usePg, usePlayground } from './context';
import { ClassHistogram } from './ClassHistogram';
import { openGallery } from './gallery-state';
import { dismissIntro, reopenIntro, useIntroOpen } from './intro-state';
import { lessonShown } from '../state/session/lesson';
import './teach.css';

const STEPS = ['This is a long tail', 'Many, medium, few', 'What to press first'] as const;

/** The header's "?" button: shows the introduction again. */
export function IntroButton() {
  return (
    <button
      type="button"
      className="intro-help"
      aria-label="Show the introduction"
      title="What is a long tail? (introduction)"
      data-testid="intro-open"
      onClick={() => {
        reopenIntro();
        requestAnimationFrame(() => document.getElementById('intro-title')?.focus());
      }}
    >
      ?
    </button>
  );
}

export function IntroPanel() {
  const open = useIntroOpen();
  const summary = usePg((s) => s.summary);
  const loss = usePg((s) => s.settings.config.loss);
  const { session, store, services } = usePlayground();
  const [step, setStep] = useState(0);
  const title = useRef<HTMLHeadingElement>(null);
  const withLesson = usePg((s) => lessonShown(s.hidden));
  if (!open) return null;
  const counts = summary?.counts ?? [];
  const names = summary?.classNames ?? [];
  const groups = counts.map(groupOf);
  const max = counts.length ? Math.max(...counts) : 0;
  const min = counts.length ? Math.min(...counts) : 0;
  const inGroup = (g: 'many' | 'medium' | 'few') => groups.filter((x) => x === g).length;
  const go = (i: number) => {
    setStep(i);
    title.current?.focus();
  };
  return (
    <section className="intro" aria-labelledby="intro-title" data-testid="intro">
      <div className="intro-head">
        <h2 id="intro-title" ref={title} tabIndex={-1}>
          {STEPS[step]} <span className="intro-count">(step {step + 1} of 3)</span>
        </h2>
        <button type="button" onClick={dismissIntro} data-testid="intro-dismiss" aria-label="Dismiss the introduction">
          Got it, don’t show again
        </button>
      </div>
      {step === 0 && (
        <div className="intro-body">
          {counts.length > 0 ? (
            <>
              <p>
                The training data is deliberately unbalanced: the largest class has <strong>{max.toLocaleString('en')}</strong> images, the
                smallest <strong>{min.toLocaleString('en')}</strong> (imbalance factor {min > 0 ? Math.round(max / min) : '∞'}). The test
                set stays balanced, so a model that just favours the big classes is caught out.
              </p>
              <ClassHistogram counts={counts} groups={groups} classNames={names} testId="intro-histogram" onBar={openGallery} />
            </>
          ) : (
            <p>
              The training data is deliberately unbalanced (a few classes with many images, many classes with few); its class histogram
              appears here once the data is loaded.
            </p>
          )}
        </div>
      )}
      {step === 1 && (
        <div className="intro-body">
          <p>Classes are grouped by their number of training images, as in the papers:</p>
          <ul data-testid="intro-groups">
            <li>
              <strong>many</strong>: more than 100 images{counts.length > 0 && ` (${inGroup('many')} classes here)`}
            </li>
            <li>
              <strong>medium</strong>: 20 to 100 images{counts.length > 0 && ` (${inGroup('medium')} here)`}
            </li>
            <li>
              <strong>few</strong>: fewer than 20 images{counts.length > 0 && ` (${inGroup('few')} here)`}
            </li>
          </ul>
          <p>The many / medium / few chart shows each group’s test accuracy: the gap between the lines is the long-tail problem.</p>
        </div>
      )}
      {step === 2 && (
        <div className="intro-body" data-testid="intro-last">
          {loss === 'ce' ? (
            <p>
              Press <strong>Train</strong> (or <kbd>Space</kbd>) to train with plain cross-entropy and watch the tail classes lag behind.
              Then pick a long-tail loss under <em>Loss</em> (e.g. GCL or FBL) — the earlier run stays on the charts for comparison — and
              open <em>About this loss</em> to see why it helps.
            </p>
          ) : (
            <p>
              The run is set to <strong>{LOSS_SHORT[loss] ?? loss}</strong>, a long-tail loss. To see the problem it solves first, start
              with plain cross-entropy: train it, watch the tail classes lag behind, then pick {LOSS_SHORT[loss] ?? loss} again under{' '}
              <em>Loss</em> — the earlier run stays on the charts for comparison — and open <em>About this loss</em> to see why it helps. Or
              press <strong>Start</strong> to train {LOSS_SHORT[loss] ?? loss} right away.
            </p>
          )}
          {withLesson && (
            <p>
              Or follow the <strong>Lesson</strong>: CE, KPS, FBL and GCL on the same subset and the same initial weights, one step at a
              time, each pointing at the chart that shows why it helps.
            </p>
          )}
        </div>
      )}
      <div className="intro-nav">
        <button type="button" disabled={step === 0} onClick={() => go(step - 1)}>
          Back
        </button>
        {step < 2 ? (
          <button type="button" className="primary" onClick={() => go(step + 1)} data-testid="intro-next">
            Next
          </button>
        ) : (
          <>
            {loss !== 'ce' && (
              <button
                type="button"
                className="primary"
                data-testid="intro-start-ce"
                onClick={() => {
                  // a fresh run (nothing trained yet): the change applies without asking
                  void session.changeSettings(presetSettings(store.getState().settings, 'ce'));
                  dismissIntro();
                }}
              >
                Start with cross-entropy
              </button>
            )}
            <button type="button" className={loss === 'ce' ? 'primary' : undefined} onClick={dismissIntro}>
              Start
            </button>
            {withLesson && (
              <button
                type="button"
                data-testid="intro-lesson"
                onClick={() => {
                  services.lesson.open(0);
                  dismissIntro();
                  requestAnimationFrame(() => document.getElementById('lesson-title')?.focus({ preventScroll: true }));
                }}
              >
                Follow the Lesson
              </button>
            )}
          </>
        )}
      </div>
    </section>
  );
}
