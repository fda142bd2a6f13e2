/**
 * Export → "Continue in PyTorch": first the run bundle (this run's data subset, initial and current weights, every
 * step, and train.py) with one command per use — replay, continue, several processes with torchrun; then, as the
 * second option, the authors' repository for the run's loss with the command built from the run
 * (src/core/export/pytorch-command.ts), the run config JSON and what does not carry over. train.py's --out JSON
 * opens back here as a pinned run on every chart.
 */
import { useMemo, useState } from 'react';
import { ResultsError, runFromResults } from '../state/runs/pytorch-results';
import { MAX_PINNED } from '../state/session/slices/metrics';
import { pytorchHandoff, runConfigJson } from '../core/export/pytorch-command';
import { trainConfigOf } from '../state/settings/settings';
import { downloadFile } from './chart-png';
import { usePg } from './context';
import './teach.css';

/** An uploaded image folder's data-set id ("folder@2", as the worker names uploads). */
const isFolderId = (id: string) => id.startsWith('folder@');

/**
 * The bundle's commands, each for one use; `dir` is the unzipped folder. An uploaded image folder's bundle carries
 * its decoded images (no data root needed) and has no papers' protocol, so no --full row.
 */
export function bundleCommands(dir: string, epochs: number, folder = false): { title: string; line: string }[] {
  const more = epochs * 2;
  const rows = [
    {
      title: 'Replay this run step by step (same images, order, augmentation, noise; losses beside the app’s)',
      line: `python3 ${dir}/train.py ${dir} --reproduce --out reproduce.json`,
    },
    {
      title: `Continue it to ${more} epochs in all (weights, momentum and random streams where the app left them)`,
      line: `python3 ${dir}/train.py ${dir} --continue --epochs ${more} --out continue.json`,
    },
    {
      title: 'The same on a GPU (CUDA; --device mps on a Mac)',
      line: `python3 ${dir}/train.py ${dir} --continue --epochs ${more} --device cuda --out continue.json`,
    },
    {
      title: 'On N processes or GPUs (DistributedDataParallel: the same global batch and sampler, so the same steps)',
      line: `torchrun --nproc-per-node 2 ${dir}/train.py ${dir} --continue --epochs ${more} --device cuda --out continue.json`,
    },
    {
      title: 'Three more seeds (each redraws the subset and the initial weights as the app’s seed setting does)',
      line: `python3 ${dir}/train.py ${dir} --seeds 1,2,3 --out seeds.json`,
    },
  ];
  if (folder) {
    rows.push({
      title:
        'From the original image folder instead of the bundle’s decoded images (PIL decodes them, resized as the app does: pixels may differ slightly from the browser’s, JPEG above all)',
      line: `python3 ${dir}/train.py ${dir} --data-root IMAGE_FOLDER --out folder.json`,
    });
  } else {
    rows.push({
      title: 'At the papers’ scale (full long-tail profile, ResNet-32, 200 epochs, the authors’ recipe), on a GPU',
      line: `python3 ${dir}/train.py ${dir} --full --seeds 1,2,3 --device cuda --out full.json`,
    });
  }
  return rows;
}

export interface BundleAction {
  /** Writes the bundle (the dialog's export: pauses a running run); resolves with the file name, or null on failure. */
  save(): Promise<string | null>;
  disabled: boolean;
}

let openedResults = 0;

/** "Open PyTorch results": train.py's (or the CLI's) --out JSON drawn as a pinned run beside the browser run. */
function OpenResults() {
  const addPinnedRun = usePg((s) => s.addPinnedRun);
  const [status, setStatus] = useState<{ text: string; error: boolean } | null>(null);
  const open = async (file: File) => {
    try {
      let doc: unknown;
      try {
        doc = JSON.parse(await file.text());
      } catch (e) {
        throw new ResultsError(`${file.name} is not JSON (${e instanceof Error ? e.message : String(e)})`);
      }
      const run = runFromResults(doc, file.name, `pytorch-${Date.now().toString(36)}-${++openedResults}`, '');
      if (!addPinnedRun(run))
        throw new ResultsError(`${MAX_PINNED} runs are pinned already: unpin one in the comparison table to open ${file.name}`);
      setStatus({ text: `Opened ${file.name}: “${run.label}”, ${run.epochs.length} epochs, pinned on the charts.`, error: false });
    } catch (e) {
      setStatus({ text: e instanceof Error ? e.message : String(e), error: true });
    }
  };
  return (
    <>
      <h4 className="handoff-title">Open PyTorch results</h4>
      <p className="export-hint">
        The <code>--out</code> JSON of <code>train.py</code> (or of the CLI): drawn as a pinned run beside this one on every chart.
      </p>
      <input
        type="file"
        accept=".json,application/json"
        aria-label="Open PyTorch results (train.py --out JSON)"
        data-testid="open-pytorch-results"
        onChange={(e) => {
          const f = e.currentTarget.files?.[0];
          e.currentTarget.value = '';
          if (f) void open(f);
        }}
      />
      {status && (
        <p role={status.error ? 'alert' : 'status'} className="export-hint" data-testid="pytorch-results-status">
          {status.text}
        </p>
      )}
    </>
  );
}

export function PytorchHandoff({ bundle }: { bundle: BundleAction }) {
  const [bundleName, setBundleName] = useState<string | null>(null);
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
        <p className="export-hint">Start a run first: the bundle and the commands are built from it.</p>
        <OpenResults />
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
  const folder = isFolderId(input.config.dataset);
  return (
    <section aria-labelledby="export-pytorch" data-testid="pytorch-handoff">
      <h3 id="export-pytorch">Continue in PyTorch</h3>
      <p className="export-hint">
        The run bundle holds this run as it ran: the indices of its images in the official data files, the initial and the current weights
        (with momentum at an epoch boundary), every step’s batch, augmentation, noise and lr, the change log, and <code>train.py</code>, one
        PyTorch file with the app’s models and losses.{' '}
        {folder ? (
          <>
            For this uploaded image folder it also holds every image as the app decoded it (<code>data.safetensors</code>) and the file
            names per class and split, so it runs without the files. The papers’ scale (<code>--full</code>) is defined for Fashion-MNIST
            and CIFAR only, so it is not offered.
          </>
        ) : (
          <>
            Unzip it; Fashion-MNIST is read from <code>/usr/share/datasets/fashion-mnist</code> (Debian’s <code>dataset-fashion-mnist</code>
            ) or <code>--data-root DIR</code>.
          </>
        )}
      </p>
      <div className="export-buttons">
        <button
          type="button"
          data-testid="export-bundle"
          disabled={bundle.disabled}
          onClick={() => void bundle.save().then((name) => name && setBundleName(name.replace(/\.zip$/, '')))}
        >
          Run bundle for PyTorch (.zip)
        </button>
      </div>
      {bundleCommands(bundleName ?? 'BUNDLE', input.config.epochs, folder).map((c) => (
        <div key={c.title} className="snippet">
          <p className="handoff-title">{c.title}</p>
          <pre data-testid="bundle-command" tabIndex={0} aria-label={`${c.title} (command; scrolls)`}>
            <code>{c.line}</code>
          </pre>
          <button type="button" className="copy" onClick={() => void copy(c.line, c.title)}>
            {copied === c.title ? 'Copied' : 'Copy'}
          </button>
        </div>
      ))}
      <OpenResults />
      <h4 className="handoff-title">Or with the authors’ code</h4>
      <p className="export-hint">
        Their repository trains the loss at the papers’ scale with their own data loading, model and schedule: take the weights (PyTorch
        .safetensors above), this run’s configuration and the command below. It does not replay this run’s subset or steps, and what does
        not carry over is listed.
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
              <pre data-testid="pytorch-command" tabIndex={0} aria-label={`${c.title} (command; scrolls)`}>
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
