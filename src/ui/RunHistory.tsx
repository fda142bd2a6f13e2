/**
 * The shown runs as a history of experiments (Compare runs, folded): a scatter of one metric of each run's last
 * epoch against a chosen numeric setting (each run in its colour), and the settings that vary ranked by |Pearson
 * r| with the metric — a hint of what mattered across runs that differ in several settings at once. The points
 * and the ranking are tables too. Data: src/state/runs/run-history.ts.
 */
import { useMemo, useState } from 'react';
import { CartesianGrid, ResponsiveContainer, Cell, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from 'recharts';
import { usePg, usePlayground } from './context';
import { HISTORY_METRICS, historyPoints, paramImportance, variedParams, type HistoryMetric } from '../state/runs/run-history';
import { percent } from '../core/format';

const pct = (v: number | null) => percent(v);

export function RunHistory() {
  const { store } = usePlayground();
  const archived = usePg((s) => s.archived);
  // the current run counts once it has an epoch: read when its epochs change (once per epoch, not per batch)
  const currentEpochs = usePg((s) => s.current?.epochs);
  const currentLabel = usePg((s) => s.current?.label);
  const [metric, setMetric] = useState<HistoryMetric>('overall');
  const [open, setOpen] = useState(false);
  const runs = useMemo(() => {
    const cur = store.getState().current;
    return [...archived, ...(cur && currentEpochs?.length ? [cur] : [])];
  }, [archived, currentEpochs, currentLabel, store]); // eslint-disable-line react-hooks/exhaustive-deps
  const points = useMemo(() => historyPoints(runs, metric), [runs, metric]);
  const ranked = useMemo(() => paramImportance(points), [points]);
  const params = useMemo(() => variedParams(points, ranked), [points, ranked]);
  const [chosen, setChosen] = useState('');
  const param = params.includes(chosen) ? chosen : (params[0] ?? '');
  if (points.length < 2 || !param) return null;
  const metricLabel = HISTORY_METRICS.find((m) => m.id === metric)!.label;
  const data = points
    .filter((p) => p.metric !== null && param in p.params)
    .map((p) => ({ x: p.params[param], y: 100 * (p.metric as number), label: p.label, color: p.color }));
  return (
    <details className="compare-sweep" data-testid="run-history" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Runs by setting (scatter, what mattered)…</summary>
      {open && (
        <>
          <label>
            Metric{' '}
            <select
              value={metric}
              onChange={(e) => setMetric(e.target.value as HistoryMetric)}
              aria-label="History metric"
              data-testid="history-metric"
            >
              {HISTORY_METRICS.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.label}
                </option>
              ))}
            </select>
          </label>{' '}
          <label>
            against{' '}
            <select value={param} onChange={(e) => setChosen(e.target.value)} aria-label="History setting" data-testid="history-param">
              {params.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          </label>
          <figure className="sweep-result">
            <figcaption className="compare-note">
              {metricLabel} of each run&apos;s last epoch against {param} ({data.length} runs)
            </figcaption>
            <div className="sweep-chart">
              <ResponsiveContainer width="100%" height={200}>
                <ScatterChart margin={{ top: 8, right: 16, bottom: 20, left: 8 }} aria-hidden="true" accessibilityLayer={false}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis
                    dataKey="x"
                    type="number"
                    name={param}
                    domain={['auto', 'auto']}
                    label={{ value: param, position: 'insideBottom', offset: -12 }}
                  />
                  <YAxis dataKey="y" type="number" name={metricLabel} domain={[0, 100]} unit="%" width={44} />
                  <Tooltip />
                  <Scatter data={data} isAnimationActive={false} data-testid="history-scatter">
                    {data.map((d, i) => (
                      <Cell key={i} fill={d.color} />
                    ))}
                  </Scatter>
                </ScatterChart>
              </ResponsiveContainer>
            </div>
            <div className="runs-scroll" role="region" aria-label={`Runs: ${metricLabel} and ${param}`} tabIndex={0}>
              <table className="runs-table" style={{ width: 'auto' }} data-testid="history-points">
                <caption className="ltc-sr-only">
                  {metricLabel} of each run against {param}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">run</th>
                    <th scope="col">{param}</th>
                    <th scope="col">{metricLabel}</th>
                  </tr>
                </thead>
                <tbody>
                  {points.map((p) => (
                    <tr key={p.id}>
                      <th scope="row">{p.label}</th>
                      <td className="num">{p.params[param] ?? '—'}</td>
                      <td className="num">{pct(p.metric)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </figure>
          {ranked.length > 0 ? (
            <>
              <p className="compare-note">
                Settings that vary, by |Pearson r| with {metricLabel} over the runs: a hint of what mattered, not an effect size (few runs,
                settings changed together).
              </p>
              <div className="runs-scroll" role="region" aria-label="Settings ranked by correlation with the metric" tabIndex={0}>
                <table className="runs-table" style={{ width: 'auto' }} data-testid="history-importance">
                  <caption className="ltc-sr-only">Settings ranked by |Pearson r| with {metricLabel}</caption>
                  <thead>
                    <tr>
                      <th scope="col">setting</th>
                      <th scope="col">|r|</th>
                      <th scope="col">direction</th>
                      <th scope="col">runs</th>
                    </tr>
                  </thead>
                  <tbody>
                    {ranked.map((i) => (
                      <tr key={i.param} data-testid="importance-row">
                        <th scope="row">{i.param}</th>
                        <td className="num" data-col="r">
                          {Math.abs(i.r).toFixed(2)}
                        </td>
                        <td>{i.r > 0 ? 'higher → better' : 'higher → worse'}</td>
                        <td className="num">
                          {i.n} ({i.values} values)
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          ) : (
            <p className="compare-note">A ranking needs 3 measured runs whose settings and metric vary.</p>
          )}
        </>
      )}
    </details>
  );
}
