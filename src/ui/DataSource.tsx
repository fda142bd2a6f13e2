/**
 * "Your own data": upload a CIFAR-10 / CIFAR-100 binary archive or a folder of images (directory picker or .zip).
 * Limits are stated before anything is picked; parsing runs in the worker with a progress bar; errors name the
 * file and leave the current data and run as they are. Class names (user folder names) are rendered as React
 * text only, never as markup.
 */
import { useId, useState, type ChangeEvent } from 'react';
import { FOLDER_TARGETS, MIN_TEST_FRACTION, MAX_TEST_FRACTION, estimateMemory, folderLimitsText } from '../core/data/folder-limits';
import { MAX_FOLDER_IMAGES, type FolderTargetId } from '../worker/upload-info';
import { MAX_ARCHIVE_BYTES, uploadCifar, uploadFolderFiles, uploadFolderZip } from '../state/uploads/upload';
import { usePg, usePlayground } from './context';

export const CIFAR_URL = 'https://www.cs.toronto.edu/~kriz/cifar.html';

const mb = (n: number) => (n < 1e6 ? `${Math.max(1, Math.round(n / 1e3))} kB` : `${(n / 1e6).toFixed(1)} MB`);

/** Lets React set the non-standard directory-picker attributes. */
const DIRECTORY_PROPS = { webkitdirectory: '', directory: '' } as Record<string, string>;

function UploadInfo() {
  const uploads = usePg((s) => s.uploads);
  const dataset = usePg((s) => s.settings.config.dataset);
  const u = uploads.find((x) => x.id === dataset);
  if (!u) return null;
  const total = u.poolCounts.reduce((a, b) => a + b, 0);
  const test = u.testCounts.reduce((a, b) => a + b, 0);
  return (
    <div className="upload-info" data-testid="upload-info">
      <p>
        <strong>{u.title}</strong> from <span className="upload-file">{u.source}</span>: {u.classNames.length} classes,{' '}
        {total.toLocaleString('en')} pool and {test.toLocaleString('en')} test images, {u.height}×{u.width}{' '}
        {u.channels === 1 ? 'grey' : 'RGB'} ({mb(u.memoryBytes)} in the worker).
      </p>
      {u.notes.map((n) => (
        <p key={n} className="upload-note" data-testid="upload-note">
          {n}
        </p>
      ))}
      <details open={u.kind === 'folder' && u.classNames.length <= 20}>
        <summary>Classes (pool / test images)</summary>
        <ol className="upload-classes" data-testid="upload-classes">
          {u.classNames.map((name, i) => (
            <li key={i} data-count={u.poolCounts[i]}>
              {name} — {u.poolCounts[i]} / {u.testCounts[i]}
            </li>
          ))}
        </ol>
      </details>
      {u.skippedCount > 0 && (
        <details>
          <summary>
            {u.skippedCount} skipped file{u.skippedCount === 1 ? '' : 's'}
          </summary>
          <ul className="upload-skipped">
            {u.skipped.map((s) => (
              <li key={s.file}>
                {s.file}: {s.reason}
              </li>
            ))}
            {u.skippedCount > u.skipped.length && <li>… and {u.skippedCount - u.skipped.length} more</li>}
          </ul>
        </details>
      )}
    </div>
  );
}

export function DataSource() {
  const pg = usePlayground();
  const status = usePg((s) => s.uploadStatus);
  const error = usePg((s) => s.uploadError);
  const phase = usePg((s) => s.phase);
  const [target, setTarget] = useState<FolderTargetId>('rgb32');
  const [testFraction, setTestFraction] = useState(0.2);
  const id = useId();
  const busy = status !== null || phase === 'starting';
  const t = FOLDER_TARGETS[target];

  const take = (e: ChangeEvent<HTMLInputElement>): File[] => {
    const files = Array.from(e.target.files ?? []);
    e.target.value = ''; // picking the same file again fires change again
    return files;
  };
  const onCifar = (e: ChangeEvent<HTMLInputElement>) => {
    const [f] = take(e);
    if (f) void uploadCifar(pg, f);
  };
  const onFolder = (e: ChangeEvent<HTMLInputElement>) => {
    const files = take(e);
    if (files.length) void uploadFolderFiles(pg, files, { target, testFraction });
  };
  const onZip = (e: ChangeEvent<HTMLInputElement>) => {
    const [f] = take(e);
    if (f) void uploadFolderZip(pg, f, { target, testFraction });
  };

  return (
    <details className="data-source" data-testid="data-source">
      <summary>Your own data</summary>
      <fieldset className="upload-group" disabled={busy}>
        <legend>CIFAR-10 / CIFAR-100</legend>
        <p className="upload-help">
          Download the <strong>binary version</strong> (cifar-10-binary.tar.gz, 163 MB, or cifar-100-binary.tar.gz, 169 MB) from{' '}
          <a href={CIFAR_URL} target="_blank" rel="noopener noreferrer">
            {CIFAR_URL}
          </a>{' '}
          and pick the file as it is. You get CIFAR-10-LT / CIFAR-100-LT with the profile, IF and seed controls below (IF 1–200). Parsed in
          this tab (up to {mb(MAX_ARCHIVE_BYTES)}; about 185 MB of memory); nothing is uploaded anywhere.
        </p>
        <label className="upload-button">
          Choose CIFAR archive…
          <input type="file" accept=".gz,.tgz,.tar,application/gzip,application/x-tar" onChange={onCifar} data-testid="upload-cifar" />
        </label>
      </fieldset>
      <fieldset className="upload-group" disabled={busy}>
        <legend>Folder of images</legend>
        <p className="upload-help">
          One sub-folder per class (pets/cat/001.jpg, pets/dog/002.png …). {folderLimitsText(t, MAX_FOLDER_IMAGES)} Unreadable images are
          skipped and listed.
        </p>
        <div className="upload-options">
          <label htmlFor={`${id}-target`}>Image size</label>
          <select
            id={`${id}-target`}
            value={target}
            onChange={(e) => setTarget(e.target.value as FolderTargetId)}
            data-testid="upload-target"
          >
            <option value="rgb32">32×32 RGB (like CIFAR)</option>
            <option value="grey28">28×28 grey (like Fashion-MNIST)</option>
          </select>
          <label htmlFor={`${id}-test`}>Held-out test fraction</label>
          <span>
            <input
              id={`${id}-test`}
              type="range"
              min={MIN_TEST_FRACTION}
              max={MAX_TEST_FRACTION}
              step={0.05}
              value={testFraction}
              onChange={(e) => setTestFraction(Number(e.target.value))}
              data-testid="upload-test-fraction"
            />{' '}
            <output htmlFor={`${id}-test`}>{Math.round(testFraction * 100)} %</output>
          </span>
        </div>
        <p className="upload-help">
          1000 images take about {mb(estimateMemory(1000, t))}. Image size and test fraction apply when the folder is loaded (pick it again
          to change them).
        </p>
        <div className="upload-buttons">
          <label className="upload-button">
            Choose folder…
            <input type="file" multiple {...DIRECTORY_PROPS} onChange={onFolder} data-testid="upload-folder" />
          </label>
          <label className="upload-button">
            Choose .zip…
            <input type="file" accept=".zip,application/zip" onChange={onZip} data-testid="upload-zip" />
          </label>
        </div>
      </fieldset>
      {status && (
        <div className="upload-progress" role="status" data-testid="upload-status">
          <span>
            {status.phase === 'read' ? 'Reading' : 'Parsing'} {status.file}…
          </span>
          <progress max={1} value={status.fraction} aria-label={`Loading ${status.file}`} data-testid="upload-progress" />
        </div>
      )}
      {error && (
        <p className="upload-error" role="alert" data-testid="upload-error">
          {error} — the current data set and run are unchanged.
        </p>
      )}
      <UploadInfo />
    </details>
  );
}
