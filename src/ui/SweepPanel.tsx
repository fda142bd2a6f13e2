/**
 * Sweep one hyperparameter (Compare runs, next to the preset): pick a loss hyperparameter (from its schema) or
 * lr / batch size / IF, give 2–8 values or a range and a count; the queue trains one run per value with the same
 * data and initial weights and pins each (so every chart overlays them), and a chart plots the chosen metric
 * (overall, many / medium / few, tail-3; last or best epoch) against the value, with the same numbers as a table.
 * Cancel keeps the finished runs. Planning: src/state/sweep.ts; queue: src/state/sweep-runner.ts.
 */
import { useMemo, useState, useSyncExternalStore } from 'react';
import { CartesianGrid, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import {
  parseSweepValues,
  planSweep,
  runWords,
  SWEEP_METRICS,
  sweepOptions,
  sweepRows,
  type SweepMetric,
  type SweepWhen,
} from '../state/sweep';
import { getLoss } from '../core/losses/registry';
import { sweepFor } from '../state/sweep-runner';
import { pinsToFree } from '../state/pin-room';
import { usePg, usePlayground } from './context';
import { useHidden } from './ClassroomLink';
import { controlShown, sweepControl } from '../state/classroom';

const pct = (v: number | null) => (v === null || !Number.isFinite(v) ? '—' : `${(100 * v).toFixed(1)}%`);

export function SweepPanel() {
  const { session, store } = usePlayground();
  const runner = sweepFor(session);
  const status = useSyncExternalStore(runner.subscribe, runner.getStatus, runner.getStatus);
  const loss = usePg((s) => s.settings.config.loss);
  const head = usePg((s) => s.settings.config.head);
  const epochs = usePg((s) => s.settings.config.epochs);
  const profile = usePg((s) => s.settings.config.profile);
  const fblCurriculum = usePg((s) => s.settings.config.fblCurriculum);
  // re-render when the pinned runs change (the chart reads them)
  const archived = usePg((s) => s.archived);
  const phase = usePg((s) => s.phase);
  const busy = usePg((s) => s.busy);
  // only what acts on this run: its loss and head (no cosine scale on a linear head), epochs, data profile
  const base = { loss, head, epochs, profile, fblCurriculum };
  const options = useMemo(() => sweepOptions(base), [loss, head, epochs, profile, fblCurriculum]); // eslint-disable-line react-hooks/exhaustive-deps
  // a classroom link keeps the parameters of its hidden settings out of the list
  const hidden = useHidden();
  const params = useMemo(() => options.params.filter((p) => controlShown(sweepControl(p.id), hidden)), [options, hidden]);
  const skipped = options.skipped;
  const twoStage = getLoss(loss).twoStage;
  const [open, setOpen] = useState(false);
  const [paramId, setParamId] = useState<string>('');
  const param = params.find((p) => p.id === paramId) ?? params[0] ?? options.params[0];
  const [text, setText] = useState('');
  const [metric, setMetric] = useState<SweepMetric>('overall');
  const [when, setWhen] = useState<SweepWhen>('last');
  const parsed = text.trim() ? parseSweepValues(text, param) : null;
  const running = status?.state === 'running';
  const blocked = parsed?.ok ? runner.blocker() : null;
  // pins the sweep would need room for: said before it starts (Run sweep asks to unpin them), never after
  const toFree = parsed?.ok && !running ? pinsToFree(store.getState(), parsed.value.length).length : 0;
  void [phase, busy];
  const rows = useMemo(() => (status ? sweepRows(runner.results(), when) : []), [status, when, archived, runner]); // eslint-disable-line react-hooks/exhaustive-deps
  const data = rows.map((r) => ({ value: r.value, y: r[metric] === null ? null : 100 * (r[metric] as number) }));
  const metricLabel = SWEEP_METRICS.find((m) => m.id === metric)!.label;

  const start = () => {
    if (!parsed?.ok) return;
    const base = store.getState().settings;
    const plan = planSweep(
      { ...base.config, lossParams: { ...base.config.lossParams }, stage2: { ...base.config.stage2 } },
      param.id,
      parsed.value,
    );
    if (plan.ok) void runner.start(plan.value, base);
  };

  if (!params.length) return null;
  return (
    // folded until asked for (or while a sweep has a status): Compare runs stays short, on a phone above all
    <details className="compare-sweep" data-testid="sweep" open={open || !!status} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Sweep one hyperparameter…</summary>
      <label>
        Sweep{' '}
        <select
          value={param.id}
          onChange={(e) => setParamId(e.target.value)}
          disabled={running}
          aria-label="Sweep parameter"
          data-testid="sweep-param"
        >
          {params.map((p) => (
            <option key={p.id} value={p.id}>
              {p.label} ({p.id})
            </option>
          ))}
        </select>
      </label>{' '}
      <label>
        values{' '}
        <input
          type="text"
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder="0.1,0.3,0.5 or 0.1:1:4"
          disabled={running}
          aria-invalid={parsed !== null && !parsed.ok}
          aria-label="Sweep values"
          aria-describedby="sweep-why"
          data-testid="sweep-values"
          size={18}
        />
      </label>{' '}
      <button
        type="button"
        disabled={running || !parsed?.ok || !!blocked}
        onClick={start}
        title={
          blocked ??
          `One run per value of ${param.label} (${param.min}–${param.max}), pinned${toFree ? `; asks to unpin the ${toFree} oldest pinned runs first` : ''}`
        }
        data-testid="sweep-start"
      >
        Run sweep
      </button>
      {running && (
        <button type="button" onClick={() => runner.cancel()} data-testid="sweep-cancel">
          Cancel sweep
        </button>
      )}
      {(skipped.length > 0 || twoStage) && (
        <p className="compare-note" data-testid="sweep-skipped">
          {skipped.length > 0 && (
            <>
              Not offered for {runWords(base)}:{' '}
              {skipped.map((k, i) => (
                <span key={k.id}>
                  {i > 0 && '; '}
                  {k.label} ({k.id}) — {k.why}
                </span>
              ))}
              .{' '}
            </>
          )}
          {twoStage && 'The sweep trains stage 1 only: stage 2 keeps its own settings and is not run.'}
        </p>
      )}
      <span id="sweep-why" className="compare-progress" role="status" data-testid="sweep-status">
        {parsed && !parsed.ok
          ? parsed.why
          : blocked
            ? blocked
            : toFree && status?.state !== 'running'
              ? `Run sweep asks to unpin the ${toFree} oldest pinned run${toFree > 1 ? 's' : ''} first.`
              : status
                ? status.state === 'running'
                  ? `Sweep: run ${status.index + 1} of ${status.plan.runs.length} — ${status.plan.runs[status.index]?.label ?? ''}`
                  : status.state === 'done'
                    ? `Sweep finished: ${status.done.length} runs pinned.`
                    : status.state === 'cancelled'
                      ? `Sweep cancelled: ${status.done.length} finished runs kept.`
                      : `Sweep stopped: ${status.message ?? 'failed'}`
                : ''}
      </span>
      {status && rows.length > 0 && (
        <figure className="sweep-result" data-testid="sweep-result">
          <figcaption>
            <label>
              Metric{' '}
              <select
                value={metric}
                onChange={(e) => setMetric(e.target.value as SweepMetric)}
                aria-label="Sweep metric"
                data-testid="sweep-metric"
              >
                {SWEEP_METRICS.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.label}
                  </option>
                ))}
              </select>
            </label>{' '}
            <label>
              at{' '}
              <select value={when} onChange={(e) => setWhen(e.target.value as SweepWhen)} aria-label="Sweep epoch" data-testid="sweep-when">
                <option value="last">the last epoch</option>
                <option value="best">the best epoch</option>
              </select>
            </label>{' '}
            vs {status.plan.param.label}
          </figcaption>
          <LineChart width={360} height={200} data={data} margin={{ top: 8, right: 16, bottom: 20, left: 8 }} aria-hidden="true">
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis
              dataKey="value"
              type="number"
              domain={['dataMin', 'dataMax']}
              scale={status.plan.param.log ? 'log' : 'linear'}
              label={{ value: status.plan.param.id, position: 'insideBottom', offset: -12 }}
            />
            <YAxis domain={[0, 100]} unit="%" width={44} />
            <Tooltip />
            <Line type="linear" dataKey="y" name={metricLabel} stroke="#2563eb" isAnimationActive={false} connectNulls />
          </LineChart>
          <table className="runs-table" style={{ width: 'auto' }} data-testid="sweep-table">
            <caption className="ltc-sr-only">
              {metricLabel} ({when} epoch) for each value of {status.plan.param.label}
            </caption>
            <thead>
              <tr>
                <th scope="col">{status.plan.param.id}</th>
                <th scope="col">epoch</th>
                <th scope="col">{metricLabel}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.value} data-testid="sweep-row">
                  <th scope="row">{r.value}</th>
                  <td className="num">
                    e{r.epoch}
                    {r.chosenOn ? ` (on ${r.chosenOn === 'validation' ? 'val' : 'test'})` : ''}
                  </td>
                  <td className="num" data-col="metric">
                    {pct(r[metric])}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </figure>
      )}
    </details>
  );
}
