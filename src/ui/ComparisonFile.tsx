/**
 * Save comparison / Open comparison (Compare runs): the shown runs as one JSON file, and a file (or the page's
 * `results=` address, fetched once at load) opened back into pinned runs. A refused file says why and changes
 * nothing. The page's Content-Security-Policy (src/csp.ts) lets it read its own origin only, so a `results=` on
 * another site is refused with that reason before any request. File format and checks: src/state/runs/comparison-file.ts.
 */
import { useEffect, useRef, useState } from 'react';
import { usePg, usePlayground } from './context';
import { downloadFile } from './chart-png';
import { comparisonJson, comparisonOf, openComparison, type OpenResult } from '../state/runs/comparison-file';

/** The page's `results=` (the address of a saved comparison), if any. */
const resultsUrl = () => (typeof location === 'undefined' ? null : new URLSearchParams(location.search).get('results'));

export function ComparisonFileBar() {
  const { store } = usePlayground();
  const canSave = usePg((s) => [...s.archived, ...(s.current ? [s.current] : [])].some((r) => r.epochs.length > 0 && r.settings));
  const [message, setMessage] = useState<{ error: boolean; text: string } | null>(null);
  const [opening, setOpening] = useState(false);
  const fileRef = useRef<HTMLInputElement>(null);

  const report = (from: string, r: OpenResult) =>
    setMessage(
      r.ok
        ? {
            error: false,
            text: r.opened ? `Opened ${from}: ${r.opened} run${r.opened > 1 ? 's' : ''} pinned.` : `${from}: its runs are shown already.`,
          }
        : { error: true, text: `Could not open ${from}: ${r.why}. Nothing was changed.` },
    );

  const open = async (from: string, text: () => Promise<string>) => {
    setOpening(true);
    try {
      report(from, await openComparison(store.getState, await text()));
    } catch (e) {
      report(from, { ok: false, why: e instanceof Error ? e.message : String(e) });
    } finally {
      setOpening(false);
    }
  };

  // a shared link: the comparison it names opens once, when the page loads
  const loaded = useRef(false);
  useEffect(() => {
    const url = resultsUrl();
    if (!url || loaded.current) return;
    loaded.current = true;
    void open('the results link', async () => {
      let where: URL;
      try {
        where = new URL(url, location.href);
      } catch {
        throw new Error(`"${url}" is not an address`);
      }
      if (where.origin !== location.origin)
        throw new Error(`${where.origin} is another site, and this page reads results from its own site (${location.origin}) only`);
      let res: Response;
      try {
        res = await fetch(where, { credentials: 'omit' });
      } catch (e) {
        throw new Error(`${url} could not be fetched (${e instanceof Error ? e.message : String(e)})`, { cause: e });
      }
      if (!res.ok) throw new Error(`${url} answered HTTP ${res.status}`);
      return res.text();
    });
  }, []); // eslint-disable-line react-hooks/exhaustive-deps

  return (
    <>
      {/* shown once a run has trained an epoch: nothing to save before */}
      {canSave && (
        <button
          type="button"
          title="One JSON file with every shown run's settings, seed, change log and metrics (no weights)"
          onClick={() => {
            const f = comparisonOf(store.getState());
            downloadFile(comparisonJson(f), 'ltpg-comparison.json', 'application/json');
            setMessage({ error: false, text: `Saved ${f.runs.length} run${f.runs.length > 1 ? 's' : ''} as ltpg-comparison.json.` });
          }}
          data-testid="comparison-save"
        >
          Save comparison
        </button>
      )}
      <label className="upload-button">
        Open comparison…
        <input
          ref={fileRef}
          type="file"
          accept=".json,application/json"
          disabled={opening}
          data-testid="comparison-open"
          onChange={(e) => {
            const f = e.currentTarget.files?.[0];
            e.currentTarget.value = '';
            if (f) void open(`“${f.name}”`, () => f.text());
          }}
        />
      </label>
      {message && (
        <span
          className={message.error ? 'compare-file-error' : 'compare-count'}
          role={message.error ? 'alert' : 'status'}
          data-testid="comparison-message"
        >
          {message.text}
        </span>
      )}
    </>
  );
}
