/**
 * Sweep one or two hyperparameters (Compare runs, next to the preset): pick a loss hyperparameter (from its schema)
 * or lr / batch size / IF, give 2–8 values or a range and a count, optionally a second parameter with its values;
 * the queue trains one run per value (per pair of values: the grid), once per seed of the Seeds field, with the
 * same data and initial weights and pins each (so every chart overlays them). One parameter: a chart plots the
 * chosen metric (overall, many / medium / few, tail-3; last or best epoch) against the value, mean ± std over the
 * seeds, with the same numbers as a table; two: a heat map of the metric over the grid, itself a table.
 * Cancel keeps the finished runs. Planning: src/core/train/sweep.ts; queue: src/state/runs/sweep-runner.ts.
 */
import { useMemo, useState, useSyncExternalStore } from 'react';
import { CartesianGrid, ResponsiveContainer, ComposedChart, ErrorBar, Line, Scatter, Tooltip, XAxis, YAxis } from 'recharts';
import {
  heatGrid,
  parseSweepValues,
  sweepPoints,
  type SweepPoint,
  planSweep,
  runWords,
  SWEEP_METRICS,
  sweepOptions,
  sweepRows,
  type SweepMetric,
  type SweepWhen,
} from '../core/train/sweep';
import { getLoss } from '../core/losses/registry';
import { SweepRunner } from '../state/runs/sweep-runner';
import { pinsToFree } from '../state/runs/pin-room';
import { usePg, usePlayground } from './context';
import { useHidden } from './ClassroomLink';
import { controlShown, sweepControl } from '../state/settings/classroom';
import { MISSING, percent, percentMeanStd } from '../core/format';

const pct = (v: number | null) => percent(v);

/** A point's metric: "52.0%", or "52.0 ± 3.6%" over several seeds. */
const pointText = (p: SweepPoint | null) =>
  !p || p.mean === null ? MISSING : p.each.length > 1 ? percentMeanStd({ n: p.each.length, mean: p.mean, std: p.std }) : pct(p.mean);

/** The epochs a point was read at: "e3", or "e2–e4" when its seeds differ. */
function epochsText(p: SweepPoint): string {
  const lo = Math.min(...p.epochs);
  const hi = Math.max(...p.epochs);
  return lo === hi ? `e${lo}` : `e${lo}–e${hi}`;
}

/** Light (low) to mid blue (high): dark text stays readable on every shade. */
const heatColor = (shade: number | null) => (shade === null ? '#fff' : `hsl(213 90% ${Math.round(96 - 30 * shade)}%)`);

/** The heat map of a two-parameter sweep: a table (the second parameter down, the first across) shaded by the metric. */
function HeatMap({
  plan,
  points,
  metricLabel,
}: {
  plan: { param: { id: string }; values: number[]; param2: { id: string }; values2: number[] };
  points: SweepPoint[];
  metricLabel: string;
}) {
  const grid = heatGrid(plan.values, plan.values2, points);
  return (
    <div
      className="runs-scroll sweep-heat"
      role="region"
      aria-label={`Heat map of ${metricLabel} over ${plan.param.id} and ${plan.param2.id}`}
      tabIndex={0}
      data-testid="sweep-heatmap"
    >
      <table className="runs-table" style={{ width: 'auto' }}>
        <caption className="ltc-sr-only">
          {metricLabel} for each pair of values: {plan.param2.id} down, {plan.param.id} across
        </caption>
        <thead>
          <tr>
            <th scope="col">
              {plan.param2.id} \ {plan.param.id}
            </th>
            {plan.values.map((v) => (
              <th key={v} scope="col" className="num">
                {v}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {grid.rows.map((row) => (
            <tr key={row.value2}>
              <th scope="row">{row.value2}</th>
              {row.cells.map((c) => (
                <td
                  key={c.value}
                  className="num"
                  data-testid="sweep-cell"
                  data-shade={c.shade === null ? undefined : c.shade.toFixed(3)}
                  style={{ background: heatColor(c.shade) }}
                  title={`${plan.param.id} = ${c.value}, ${plan.param2.id} = ${c.value2}${c.point ? ` (${epochsText(c.point)})` : ''}`}
                >
                  {pointText(c.point)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {grid.min !== null && grid.max !== null && (
        <p className="compare-note sweep-heat-key" data-testid="sweep-heat-key">
          {grid.max > grid.min ? (
            <>
              <span className="sweep-heat-swatch" style={{ background: heatColor(0) }} aria-hidden="true" /> lowest {pct(grid.min)}{' '}
              <span className="sweep-heat-swatch" style={{ background: heatColor(1) }} aria-hidden="true" /> highest {pct(grid.max)}
            </>
          ) : (
            `Every point measured ${pct(grid.min)}.`
          )}
        </p>
      )}
    </div>
  );
}

export function SweepPanel({ seeds }: { seeds?: number[] | null }) {
  const { store, services } = usePlayground();
  const runner = services.sweep;
  const status = useSyncExternalStore(runner.subscribe, runner.getStatus, runner.getStatus);
  const loss = usePg((s) => s.settings.config.loss);
  const head = usePg((s) => s.settings.config.head);
  const epochs = usePg((s) => s.settings.config.epochs);
  const profile = usePg((s) => s.settings.config.profile);
  const fblCurriculum = usePg((s) => s.settings.config.fblCurriculum);
  const formSeed = usePg((s) => s.settings.config.seed);
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
  // the second parameter: '' for none
  const [param2Id, setParam2Id] = useState<string>('');
  const param2 = param2Id && param2Id !== param.id ? (params.find((p) => p.id === param2Id) ?? null) : null;
  const [text2, setText2] = useState('');
  const [metric, setMetric] = useState<SweepMetric>('overall');
  const [when, setWhen] = useState<SweepWhen>('last');
  const parsed1 = text.trim() ? parseSweepValues(text, param) : null;
  const parsed2 = param2
    ? text2.trim()
      ? parseSweepValues(text2, param2)
      : ({ ok: false, why: `give the values of ${param2.id}` } as const)
    : null;
  // what the sweep would run: both lists when there are two parameters
  const parsed = parsed1 && parsed2 && parsed1.ok && !parsed2.ok ? { ok: false as const, why: `${param2!.id}: ${parsed2.why}` } : parsed1;
  const values2 = parsed2?.ok ? parsed2.value : null;
  const running = status?.state === 'running';
  const runSeeds = seeds && seeds.length > 0 ? seeds : [formSeed];
  const points = parsed?.ok ? parsed.value.length * (values2?.length ?? 1) : 0;
  const tooBig = parsed?.ok ? SweepRunner.tooBig(points, runSeeds.length) : null;
  const blocked = parsed?.ok ? (runner.blocker() ?? (tooBig ? `Too large: ${tooBig}.` : null)) : null;
  // pins the sweep would need room for: said before it starts (Run sweep asks to unpin them), never after
  const toFree = parsed?.ok && !running ? pinsToFree(store.getState(), points).length : 0;
  void [phase, busy];
  const rows = useMemo(() => (status ? sweepRows(runner.results(), when) : []), [status, when, archived, runner]); // eslint-disable-line react-hooks/exhaustive-deps
  const pts = useMemo(() => sweepPoints(rows, metric), [rows, metric]);
  const manySeeds = pts.some((p) => p.each.length > 1);
  const data = pts.map((p) => ({
    value: p.value,
    y: p.mean === null ? null : 100 * p.mean,
    err: p.each.length > 1 ? 100 * p.std : 0,
  }));
  const seedDots = manySeeds
    ? pts.flatMap((p) => p.each.filter((v): v is number => v !== null).map((v) => ({ value: p.value, seed: 100 * v })))
    : [];
  const metricLabel = SWEEP_METRICS.find((m) => m.id === metric)!.label;
  const plan = status?.plan;
  const total = status ? status.plan.runs.length * status.seeds.length : 0;
  const runningSpec = status && running ? SweepRunner.queue(status.plan, status.seeds)[status.index] : null;

  const start = () => {
    if (!parsed?.ok || (param2 && !values2)) return;
    const base = store.getState().settings;
    const plan = planSweep(
      { ...base.config, lossParams: { ...base.config.lossParams }, stage2: { ...base.config.stage2 } },
      param.id,
      parsed.value,
      param2 && values2 ? { paramId: param2.id, values: values2 } : undefined,
    );
    if (plan.ok) void runner.start(plan.value, base, runSeeds);
  };

  if (!params.length) return null;
  return (
    // folded until asked for (or while a sweep has a status): Compare runs stays short, on a phone above all
    <details className="compare-sweep" data-testid="sweep" open={open || !!status} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Sweep one or two hyperparameters…</summary>
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
          aria-invalid={parsed1 !== null && !parsed1.ok}
          aria-label="Sweep values"
          aria-describedby="sweep-why"
          data-testid="sweep-values"
          size={18}
        />
      </label>{' '}
      <label>
        and{' '}
        <select
          value={param2 ? param2.id : ''}
          onChange={(e) => setParam2Id(e.target.value)}
          disabled={running}
          aria-label="Second sweep parameter"
          data-testid="sweep-param2"
        >
          <option value="">no second parameter</option>
          {params
            .filter((p) => p.id !== param.id)
            .map((p) => (
              <option key={p.id} value={p.id}>
                {p.label} ({p.id})
              </option>
            ))}
        </select>
      </label>{' '}
      {param2 && (
        <>
          <label>
            values{' '}
            <input
              type="text"
              value={text2}
              onChange={(e) => setText2(e.target.value)}
              placeholder="0.01,0.05 or 0.01:0.1:3"
              disabled={running}
              aria-invalid={parsed2 !== null && !parsed2.ok && text2.trim() !== ''}
              aria-label="Second sweep values"
              aria-describedby="sweep-why"
              data-testid="sweep-values2"
              size={18}
            />
          </label>{' '}
        </>
      )}
      <button
        type="button"
        disabled={running || !parsed?.ok || !!blocked}
        onClick={start}
        title={
          blocked ??
          `One run per value${param2 ? ' pair' : ''}${runSeeds.length > 1 ? ` and seed (${runSeeds.length} seeds)` : ''}, pinned${toFree ? `; asks to unpin the ${toFree} oldest pinned runs first` : ''}`
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
      <p className="compare-note" data-testid="sweep-seeds">
        {runSeeds.length > 1
          ? `Each point trains ${runSeeds.length} seeds (${runSeeds.join(', ')}, the Seeds field): the result shows their mean ± std.`
          : 'Each point trains the form’s seed; give several in the Seeds field above for mean ± std.'}
      </p>
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
                  ? `Sweep: run ${status.index + 1} of ${total} — ${runningSpec?.spec.label ?? ''}${status.seeds.length > 1 ? ` · seed ${runningSpec?.seed ?? ''}` : ''}`
                  : status.state === 'done'
                    ? `Sweep finished: ${status.done.length} runs pinned.`
                    : status.state === 'cancelled'
                      ? `Sweep cancelled: ${status.done.length} finished runs kept.`
                      : `Sweep stopped: ${status.message ?? 'failed'}`
                : ''}
      </span>
      {status && plan && rows.length > 0 && (
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
            vs {plan.param.label}
            {plan.param2 ? ` and ${plan.param2.label}` : ''}
            {manySeeds ? ' (mean ± std over the seeds)' : ''}
          </figcaption>
          {plan.param2 && plan.values2 ? (
            <HeatMap
              plan={{ param: plan.param, values: plan.values, param2: plan.param2, values2: plan.values2 }}
              points={pts}
              metricLabel={metricLabel}
            />
          ) : (
            <>
              <div className="sweep-chart">
                <ResponsiveContainer width="100%" height={200}>
                  <ComposedChart
                    data={data}
                    margin={{ top: 8, right: 16, bottom: 20, left: 8 }}
                    aria-hidden="true"
                    accessibilityLayer={false}
                  >
                    <CartesianGrid strokeDasharray="3 3" />
                    <XAxis
                      dataKey="value"
                      type="number"
                      domain={['dataMin', 'dataMax']}
                      scale={plan.param.log ? 'log' : 'linear'}
                      label={{ value: plan.param.id, position: 'insideBottom', offset: -12 }}
                    />
                    <YAxis domain={[0, 100]} unit="%" width={44} />
                    <Tooltip />
                    {manySeeds && <Scatter data={seedDots} dataKey="seed" name="each seed" fill="#94a3b8" isAnimationActive={false} />}
                    <Line type="linear" dataKey="y" name={metricLabel} stroke="#2563eb" isAnimationActive={false} connectNulls>
                      {manySeeds && <ErrorBar dataKey="err" width={6} stroke="#2563eb" direction="y" />}
                    </Line>
                  </ComposedChart>
                </ResponsiveContainer>
              </div>
              <div className="runs-scroll" role="region" aria-label={`${metricLabel} for each value of ${plan.param.id}`} tabIndex={0}>
                <table className="runs-table" style={{ width: 'auto' }} data-testid="sweep-table">
                  <caption className="ltc-sr-only">
                    {metricLabel} ({when} epoch) for each value of {plan.param.label}
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">{plan.param.id}</th>
                      <th scope="col">epoch</th>
                      <th scope="col">{metricLabel}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {pts.map((p) => (
                      <tr key={p.value} data-testid="sweep-row">
                        <th scope="row">{p.value}</th>
                        <td className="num">
                          {epochsText(p)}
                          {p.chosenOn ? ` (on ${p.chosenOn === 'validation' ? 'val' : 'test'})` : ''}
                        </td>
                        <td className="num" data-col="metric">
                          {pointText(p)}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          )}
        </figure>
      )}
    </details>
  );
}
