/** Header: title, backend badge, Train / Pause / Step / Reset, counters, ETA and the aria-live progress line. */
import { LABEL, shortChoice } from '../core/backend-words';
import { activeShortcuts, shortcutFor } from './shortcuts';
import { usePg, usePlayground } from './context';
import { formatEta, MISSING } from '../core/format';
import { ExportButton } from './ExportDialog';
import { TryImageButton } from './TryImage';
import { IntroButton } from './IntroPanel';
import { ClassroomButton, useControlShown, useShown } from './ClassroomLink';
import { useStage2 } from './use-stage2';
import { LessonButton } from './Lesson';
import { BackendPanelButton } from './BackendPanel';

/**
 * The backend, and in a few words why — the whole sentence is its title and accessible name: what "Auto" is measuring
 * in the background, the run moving to a faster backend, and once measured what won and by how much.
 */
export function BackendBadge() {
  const backend = usePg((s) => s.backend);
  const measuring = usePg((s) => s.measuring);
  const phase = usePg((s) => s.phase);
  const engine = usePg((s) => s.summary?.engine ?? null);
  const selfCheck = usePg((s) => s.selfCheck);
  if (!backend) {
    return (
      <span className="badge badge-pending" aria-label="Backend: choosing" data-backend="">
        {phase === 'error' ? 'no backend' : 'starting…'}
      </span>
    );
  }
  const skipped = backend.tried.map((t) => t.error).join('; ');
  // "Auto" measured the candidates: say what won and by how much (e.g. a software WebGPU adapter, 40× slower)
  let reason = backend.measured ? backend.measured.why : skipped ? `${skipped}` : 'first choice';
  let short = backend.measured ? shortChoice(backend.measured.timings, backend.backend) : skipped ? 'fallback' : 'first choice';
  if (measuring?.state === 'measuring') {
    const what = measuring.backend ? LABEL[measuring.backend] : 'the other backends';
    reason = `training can start; measuring ${what} in the background`;
    short = `measuring ${measuring.backend ? LABEL[measuring.backend] : '…'}`;
  } else if (measuring?.state === 'waiting') {
    reason = 'the other backends are timed once training is idle (timed beside it, a software GPU would slow it)';
    short = 'measures when idle';
  } else if (measuring?.state === 'switching') {
    reason = `${LABEL[measuring.to]} measured faster: the run moves there at the end of this epoch`;
    short = `→ ${LABEL[measuring.to]} at epoch end`;
  } else if (!backend.measured && /measured in the background|background measurement/.test(backend.reason)) {
    reason = backend.reason;
    short = /stopped/.test(backend.reason) ? 'measurement stopped' : /failed/.test(backend.reason) ? 'measurement failed' : short;
  }
  // wasm: its threads and why that many (e.g. "not cross-origin isolated: 1 thread")
  const wasm = backend.backend === 'wasm' ? backend.wasm : undefined;
  if (wasm) reason = `${reason}; ${wasm.why}`;
  // the fused engine disagreed with tfjs on this GPU: the run trains on tfjs, and the badge says why
  if (selfCheck && !selfCheck.ok && engine === 'tfjs') {
    reason = selfCheck.reason ?? 'the fused engine failed its self-check; using tfjs';
    short = 'fused check failed';
  }
  return (
    <span
      className={`badge badge-${backend.backend}`}
      aria-label={`Backend: ${backend.backend}${engine ? `, engine ${engine}` : ''} (${reason})`}
      title={`${backend.backend}: ${reason}`}
      data-backend={backend.backend}
      data-engine={engine ?? ''}
      data-measuring={measuring ? measuring.state : ''}
      data-wasm-threads={wasm?.threads ?? ''}
      data-selfcheck={selfCheck ? (selfCheck.ok ? 'passed' : 'failed') : ''}
      data-selfcheck-cached={selfCheck ? String(selfCheck.cached) : ''}
    >
      <strong>{backend.backend}</strong>
      {engine && <span className="badge-engine">{engine === 'fused' ? ' · fused' : ' · tfjs'}</span>}
      {wasm && <span className="badge-threads">{` · ${wasm.threads} thread${wasm.threads === 1 ? '' : 's'}`}</span>}
      <span className="badge-reason">{short}</span>
    </span>
  );
}

function Controls() {
  const { session } = usePlayground();
  const phase = usePg((s) => s.phase);
  const busy = usePg((s) => s.busy);
  const running = phase === 'running';
  const canTrain = (phase === 'ready' || phase === 'paused') && !busy;
  const canReset = phase !== 'starting' && phase !== 'loading' && phase !== 'crashed' && !busy;
  const k = (a: 'toggle' | 'step' | 'reset') => shortcutFor(a)?.aria;
  const showReset = useShown('reset');
  const showExport = useShown('export');
  const hasRun = usePg((s) => s.summary !== null);
  // beside Train while it can start (the stage-2 section keeps its own button with the reason when it cannot)
  const stage2 = useStage2();
  const showStage2 = useControlShown('stage2-start') && stage2.twoStage && stage2.canStart;
  return (
    <div className="controls" role="group" aria-label="Training controls">
      <button type="button" className="primary" disabled={!canTrain} onClick={() => void session.train()} aria-keyshortcuts={k('toggle')}>
        Train
      </button>
      {showStage2 && (
        <button
          type="button"
          className="primary"
          onClick={() => void session.startStage2()}
          data-testid="header-stage2"
          aria-label="Start stage 2"
        >
          <span className="label-long">Start stage 2</span>
          <span className="label-short">Stage 2</span>
        </button>
      )}
      <button
        type="button"
        className="pause-button"
        disabled={!running}
        onClick={() => void session.pause()}
        aria-keyshortcuts={k('toggle')}
      >
        Pause
      </button>
      <button type="button" disabled={!canTrain} onClick={() => void session.step()} aria-keyshortcuts={k('step')}>
        Step
      </button>
      {showReset && (
        <button type="button" disabled={!canReset} onClick={() => void session.reset()} aria-keyshortcuts={k('reset')}>
          Reset
        </button>
      )}
      {showExport && <ExportButton />}
      <TryImageButton disabled={!hasRun} />
      <ClassroomButton />
    </div>
  );
}

const PHASE_TEXT: Record<string, string> = {
  starting: 'Starting',
  loading: 'Loading',
  ready: 'Ready',
  running: 'Training',
  paused: 'Paused',
  stageDone: 'Stage finished',
  crashed: 'Stopped',
  error: 'Error',
};

function Counters() {
  const progress = usePg((s) => s.progress);
  const phase = usePg((s) => s.phase);
  const eta = usePg((s) => s.etaSeconds);
  const dataset = usePg((s) => s.dataset);
  const p = progress;
  const epoch = p ? Math.min(p.epoch + 1, p.epochsInStage) : 0;
  const batch = p && p.batch >= 0 ? p.batch + 1 : 0;
  const frac =
    p && p.epochsInStage > 0 ? (p.epoch * p.batchesPerEpoch + Math.max(0, p.batch + 1)) / (p.epochsInStage * p.batchesPerEpoch) : 0;
  const loadingText =
    phase === 'loading' && dataset && dataset.phase !== 'ready'
      ? dataset.phase === 'fetch'
        ? `downloading data ${(dataset.loaded / 1e6).toFixed(1)} MB${dataset.total ? ` of ${(dataset.total / 1e6).toFixed(1)} MB` : ''}`
        : `decoding data ${Math.round(100 * dataset.loaded)}%`
      : null;
  return (
    <dl className="counters">
      <div>
        <dt>Status</dt>
        <dd data-testid="phase" data-phase={phase}>
          {PHASE_TEXT[phase] ?? phase}
          {loadingText ? ` (${loadingText})` : ''}
        </dd>
      </div>
      <div>
        <dt>Stage</dt>
        <dd data-testid="stage">{p?.stage ?? 1}</dd>
      </div>
      <div>
        <dt>Epoch</dt>
        <dd data-testid="epoch-counter" data-epoch={p?.epoch ?? 0} data-epochs-done={p?.epochsDone ?? 0}>
          {p ? `${epoch} / ${p.epochsInStage}` : MISSING}
        </dd>
      </div>
      <div>
        <dt>Batch</dt>
        <dd data-testid="batch-counter">{p ? `${batch} / ${p.batchesPerEpoch}` : MISSING}</dd>
      </div>
      <div>
        <dt>Step</dt>
        <dd data-testid="step-counter" data-step={p?.step ?? 0}>
          {p?.step ?? 0}
        </dd>
      </div>
      <div>
        <dt>Loss</dt>
        <dd data-testid="loss-value">{p?.loss != null ? p.loss.toFixed(4) : MISSING}</dd>
      </div>
      <div>
        <dt>lr</dt>
        <dd data-testid="lr-value" data-lr={p?.lr ?? ''}>
          {p?.lr != null ? Number(p.lr.toPrecision(3)) : MISSING}
        </dd>
      </div>
      <div>
        <dt>ETA</dt>
        <dd data-testid="eta">{phase === 'running' ? formatEta(eta) : MISSING}</dd>
      </div>
      <div>
        <dt className="ltc-sr-only">Progress</dt>
        <dd>
          <progress className="run-progress" max={1} value={Math.min(1, frac)} aria-label="Stage progress" />
        </dd>
      </div>
    </dl>
  );
}

/** The compact header over a chart shown full window: title, status, epoch, one Train / Pause button. */
export function PresenterHeader() {
  const { session } = usePlayground();
  const phase = usePg((s) => s.phase);
  const busy = usePg((s) => s.busy);
  const p = usePg((s) => s.progress);
  const running = phase === 'running';
  const canTrain = (phase === 'ready' || phase === 'paused') && !busy;
  return (
    <>
      <strong>Long-Tail Playground</strong>
      <BackendBadge />
      <span data-testid="present-status">
        {PHASE_TEXT[phase] ?? phase}
        {p ? ` · stage ${p.stage}, epoch ${Math.min(p.epoch + 1, p.epochsInStage)} / ${p.epochsInStage}` : ''}
      </span>
      <button
        type="button"
        className="primary"
        disabled={!running && !canTrain}
        onClick={() => void (running ? session.pause() : session.train())}
        data-testid="present-train"
      >
        {running ? 'Pause' : 'Train'}
      </button>
    </>
  );
}

export function Header() {
  const announcement = usePg((s) => s.announcement);
  const hidden = usePg((s) => s.hidden);
  const shortcuts = activeShortcuts(hidden);
  return (
    <header className="app-header">
      <div className="title-row">
        <h1>Long-Tail Playground</h1>
        <BackendBadge />
        <BackendPanelButton />
        <IntroButton />
        <LessonButton />
      </div>
      <div className="control-row">
        <Controls />
        <Counters />
      </div>
      <p className="live" aria-live="polite" role="status" data-testid="announcement">
        {announcement}
      </p>
      <p className="shortcuts-help">
        Keyboard:{' '}
        {shortcuts.map((s, i) => (
          <span key={s.action}>
            {i > 0 ? ' · ' : ''}
            <kbd>{s.label}</kbd> {s.description}
          </span>
        ))}
      </p>
    </header>
  );
}
