/**
 * Export → "Continue in PyTorch" (to train the same run at full scale): the authors' repository for the run's loss, the exact command
 * line(s) built from the run (src/core/export/pytorch-command.ts), the run config JSON and what does not carry
 * over. The weights are the safetensors export above this section.
 */
import { useMemo, useState } from 'react';
import { pytorchHandoff, runConfigJson } from '../core/export/pytorch-command';
import { trainConfigOf } from '../state/settings';
import { downloadFile } from './chart-png';
import { usePg } from './context';
import './teach.css';

export function PytorchHandoff() {
  // the command reproduces the run as it started; live changes are listed with it
  const settings = usePg((s) => s.current?.settings ?? s.runSettings);
  const changes = usePg((s) => s.current?.changes);
  const summary = usePg((s) => s.summary);
  const [runEpochs, setRunEpochs] = useState(false);
  const [copied, setCopied] = useState<string | null>(null);
  const input = useMemo(
    () =>
      settings && summary
        ? {
            config: trainConfigOf(settings),
            datasetTitle: summary.datasetTitle,
            numClasses: summary.classNames.length,
            counts: summary.counts,
            classNames: summary.classNames,
            changes: changes ?? [],
          }
        : null,
    [settings, summary, changes],
  );
  const handoff = useMemo(() => {
    if (!input) return null;
    try {
      return { ok: pytorchHandoff({ ...input, runEpochs }) } as const;
    } catch (e) {
      return { error: e instanceof Error ? e.message : String(e) } as const;
    }
  }, [input, runEpochs]);
  if (!input || !handoff) {
    return (
      <section aria-labelledby="export-pytorch">
        <h3 id="export-pytorch">Continue in PyTorch</h3>
        <p className="export-hint">Start a run first: the command is built from its settings.</p>
      </section>
    );
  }
  const copy = async (text: string, what: string) => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(what);
    } catch {
      setCopied(null);
    }
  };
  const h = 'ok' in handoff ? handoff.ok : null;
  return (
    <section aria-labelledby="export-pytorch" data-testid="pytorch-handoff">
      <h3 id="export-pytorch">Continue in PyTorch</h3>
      <p className="export-hint">
        Train this loss at full scale with the authors’ own code on a GPU: take the weights (PyTorch .safetensors above), this run’s
        configuration and the command below.
      </p>
      <div className="export-buttons">
        <button
          type="button"
          data-testid="download-run-config"
          onClick={() => downloadFile(runConfigJson(input), 'run-config.json', 'application/json')}
        >
          Run config (.json)
        </button>
      </div>
      {'error' in handoff && <p role="alert">Could not build the command: {handoff.error}</p>}
      {h && !h.repo && <p data-testid="pytorch-no-repo">{h.reason}</p>}
      {h && h.repo && (
        <>
          <p>
            Repository:{' '}
            <a href={h.repo.url} target="_blank" rel="noreferrer noopener">
              {h.repo.repo}
            </a>{' '}
            (clone it and run from its folder).
          </p>
          <label className="inline-check">
            <input type="checkbox" checked={runEpochs} onChange={(e) => setRunEpochs(e.target.checked)} /> use this run’s{' '}
            {input.config.epochs} epochs instead of the papers’ 200
          </label>
          {h.commands.map((c) => (
            <div key={c.title} className="snippet">
              <p className="handoff-title">{c.title}</p>
              <pre data-testid="pytorch-command">
                <code>{c.line}</code>
              </pre>
              <button type="button" className="copy" onClick={() => void copy(c.line, c.title)}>
                {copied === c.title ? 'Copied' : 'Copy'}
              </button>
            </div>
          ))}
          {h.notCarried.length > 0 && (
            <>
              <p className="handoff-title">What does not carry over</p>
              <ul className="handoff-notes" data-testid="pytorch-not-carried">
                {h.notCarried.map((n) => (
                  <li key={n}>{n}</li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </section>
  );
}
