/**
 * "Benchmark this device": a button beside the backend badge that opens a small panel; the worker times the fused
 * engine, tfjs on WebGPU and tfjs on wasm on the standard shapes (core/device-bench.ts) with a progress bar and
 * Cancel, and shows a table, a bar chart of images per second and the JSON to copy into a bug report.
 */
import { useState } from 'react';
import type { BenchRow, DeviceBenchResult } from '../core/device-bench';
import { KERNEL_CLASSES } from '../core/gpu/cost-model';
import { usePg, usePlayground } from './context';

/** localStorage switch: '1' runs the benchmark at tiny shapes and steps (tests). */
const TEST_MODE_KEY = 'ltpg-bench-test';

function testMode(): boolean {
  try {
    return localStorage.getItem(TEST_MODE_KEY) === '1';
  } catch {
    return false;
  }
}

const TARGET: Record<BenchRow['target'], string> = { fused: 'fused (WebGPU)', 'tfjs-webgpu': 'tfjs WebGPU', wasm: 'tfjs wasm' };
const caseOf = (r: BenchRow) => `${r.model} b${r.batch} ${r.input[0]}×${r.input[1]}`;

function Chart({ rows }: { rows: BenchRow[] }) {
  const ok = rows.filter((r) => r.imagesPerSecond !== null);
  const max = Math.max(1, ...ok.map((r) => r.imagesPerSecond!));
  const H = 16;
  return (
    <svg width={360} height={rows.length * H + 4} role="img" aria-label="Images per second per engine and model" data-testid="bench-chart">
      {rows.map((r, i) => (
        <g key={i} transform={`translate(0 ${i * H})`}>
          <text x={0} y={12} fontSize={10}>
            {`${TARGET[r.target]} · ${r.model}`}
          </text>
          <rect
            x={150}
            y={3}
            height={10}
            width={r.imagesPerSecond ? (200 * r.imagesPerSecond) / max : 0}
            fill="currentColor"
            opacity={0.6}
          />
        </g>
      ))}
    </svg>
  );
}

/** GPU ms per step by kernel class on the fused rows (where the device has timestamp-query). */
function ClassTimes({ result }: { result: DeviceBenchResult }) {
  const rows = result.rows.filter((r) => r.gpuMsPerKernelClass);
  if (result.gpuTimePerKernelClass === 'not available' || rows.length === 0)
    return <p data-testid="bench-classes">GPU time per kernel class: not available (the device has no timestamp-query).</p>;
  return (
    <table data-testid="bench-classes">
      <caption>Fused engine: GPU ms per step by kernel class (timestamp-query)</caption>
      <thead>
        <tr>
          <th>model</th>
          {KERNEL_CLASSES.map((k) => (
            <th key={k}>{k}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={i}>
            <td>{caseOf(r)}</td>
            {KERNEL_CLASSES.map((k) => (
              <td key={k}>{r.gpuMsPerKernelClass![k].toFixed(2)}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function DeviceBenchmark() {
  const { session } = usePlayground();
  const progress = usePg((s) => s.benchProgress);
  const phase = usePg((s) => s.phase);
  const [open, setOpen] = useState(false);
  const [result, setResult] = useState<DeviceBenchResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const running = progress !== null;
  const canStart = !running && phase !== 'running' && phase !== 'starting' && phase !== 'loading';
  const json = result ? JSON.stringify(result, null, 2) : '';
  const start = () => {
    setError(null);
    setResult(null);
    setCopied(false);
    session.benchmarkDevice(testMode()).then(setResult, (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  };
  return (
    <span className="device-bench">
      <button type="button" aria-expanded={open} onClick={() => setOpen(!open)} data-testid="bench-open">
        Benchmark this device
      </button>
      {open && (
        <section className="device-bench-panel" aria-label="Benchmark this device" data-testid="bench-panel">
          <p>
            Times training steps of the fused engine, tfjs on WebGPU and tfjs on wasm (ConvNet b64 28×28, ResNet-32 b128 32×32). Copy the
            JSON into a bug report or a discussion: it holds the adapter and the build, nothing personal.
          </p>
          <button type="button" onClick={start} disabled={!canStart} data-testid="bench-start">
            Start
          </button>
          <button type="button" onClick={() => void session.cancelBenchmark()} disabled={!running} data-testid="bench-cancel">
            Cancel
          </button>
          {progress && (
            <label>
              {progress.label}
              <progress max={progress.total} value={progress.done} data-testid="bench-progress" />
            </label>
          )}
          {error && <p role="alert">{error}</p>}
          {result && (
            <div data-testid="bench-result" data-cancelled={String(result.cancelled)} data-rows={result.rows.length}>
              <table>
                <thead>
                  <tr>
                    <th>engine</th>
                    <th>model</th>
                    <th>ms / step</th>
                    <th>img/s</th>
                  </tr>
                </thead>
                <tbody>
                  {result.rows.map((r, i) => (
                    <tr key={i}>
                      <td>{TARGET[r.target]}</td>
                      <td>{caseOf(r)}</td>
                      <td>{r.msPerStep === null ? (r.error ?? '—') : r.msPerStep.toFixed(1)}</td>
                      <td>{r.imagesPerSecond === null ? '—' : Math.round(r.imagesPerSecond)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <Chart rows={result.rows} />
              <ClassTimes result={result} />
              {result.cancelled && <p>Cancelled: the rows above finished.</p>}
              <button
                type="button"
                onClick={() =>
                  void navigator.clipboard?.writeText(json).then(
                    () => setCopied(true),
                    () => setCopied(false),
                  )
                }
                data-testid="bench-copy"
              >
                {copied ? 'Copied' : 'Copy as JSON'}
              </button>
              <textarea readOnly value={json} rows={4} aria-label="Benchmark JSON" data-testid="bench-json" />
            </div>
          )}
        </section>
      )}
    </span>
  );
}
