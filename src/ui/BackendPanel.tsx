/**
 * The backend badge's panel: what the worker runs and why (engine, the fused engine's convolution kernels, wasm
 * threads, cross-origin isolation) and "Copy diagnostics", which copies the JSON of backend-diagnostics.ts and also
 * shows it, so it can be copied by hand where the browser refuses the clipboard.
 */
import { useState } from 'react';
import { version } from '../../package.json';
import { usePg } from './context';
import { buildDiagnostics, readGpu } from './backend-diagnostics';
import { DeviceBenchmark } from './DeviceBenchmark';
import { MISSING } from '../core/format';
import { convKernelsText } from '../core/gpu/conv-info';

export function BackendPanelButton() {
  const [open, setOpen] = useState(false);
  return (
    <span className="backend-panel-anchor">
      <button
        type="button"
        className="backend-panel-toggle"
        aria-expanded={open}
        aria-controls={open ? 'backend-panel' : undefined}
        onClick={() => setOpen((o) => !o)}
        data-testid="backend-panel-toggle"
        aria-label="Backend details"
        title="Backend details: threads, isolation, Copy diagnostics"
      >
        <span className="label-long">Backend details</span>
        <span className="label-short" aria-hidden="true">
          ⋯
        </span>
      </button>
      {open && <BackendPanel />}
    </span>
  );
}

function BackendPanel() {
  const backend = usePg((s) => s.backend);
  const engine = usePg((s) => s.summary?.engine ?? null);
  const conv = usePg((s) => s.summary?.convKernels ?? null);
  const choice = usePg((s) => s.settings.backend);
  const selfCheck = usePg((s) => s.selfCheck);
  const [text, setText] = useState<string | null>(null);
  const [status, setStatus] = useState('');
  const isolated = typeof window !== 'undefined' && window.crossOriginIsolated === true;

  const copy = async () => {
    setStatus('Collecting…');
    const gpu = await readGpu(typeof navigator !== 'undefined' ? navigator.gpu : undefined);
    const d = buildDiagnostics({
      version,
      userAgent: navigator.userAgent,
      hardwareConcurrency: navigator.hardwareConcurrency,
      gpu: gpu.gpu,
      gpuUnavailable: gpu.why,
      choice,
      backend,
      engine,
      selfCheck,
      crossOriginIsolated: isolated,
    });
    const json = JSON.stringify(d, null, 2);
    setText(json);
    try {
      await navigator.clipboard.writeText(json);
      setStatus('Copied to the clipboard.');
    } catch {
      setStatus('The browser refused the clipboard: select the text below and copy it.');
    }
  };

  return (
    <div id="backend-panel" className="backend-panel" role="region" aria-label="Backend details" data-testid="backend-panel">
      <dl>
        <dt>Backend</dt>
        <dd>{backend ? `${backend.backend}${engine ? ` (engine ${engine})` : ''}` : 'starting'}</dd>
        <dt>Why</dt>
        <dd>{backend ? (backend.measured?.why ?? backend.reason) : MISSING}</dd>
        {engine === 'fused' && (
          <>
            <dt>Convolutions</dt>
            <dd data-testid="backend-panel-conv">{conv ? convKernelsText(conv) : 'chosen at the first step'}</dd>
          </>
        )}
        <dt>wasm threads</dt>
        <dd data-testid="backend-panel-threads">{backend?.wasm ? backend.wasm.why : backend ? 'wasm not running' : MISSING}</dd>
        <dt>Cross-origin isolated</dt>
        <dd>{isolated ? 'yes' : 'no (wasm runs on one thread)'}</dd>
      </dl>
      <button type="button" onClick={() => void copy()} data-testid="copy-diagnostics">
        Copy diagnostics
      </button>
      <span role="status" className="backend-panel-status">
        {status}
      </span>
      {text !== null && <textarea readOnly aria-label="Diagnostics (JSON)" value={text} rows={8} data-testid="diagnostics-text" />}
      <DeviceBenchmark />
    </div>
  );
}
