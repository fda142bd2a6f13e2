/**
 * Starting a worker's backend from the page: a forced backend is tried as chosen; "Auto" starts at once on a backend
 * that needs no measurement — the winner this browser measured before for the model, or else wasm — and the page then
 * measures the candidates in the background (`measurementNeeded`, core/backend-probe.ts in a worker of its own) and
 * moves the run if one is faster. Measurements are cached in localStorage per model, head, input shape, batch size,
 * user agent and wasm thread count (a new browser version, another machine or another thread count measures again).
 * Changing the model (or head) under "Auto" decides again (`autoAfterChange`).
 */
import type { ProbeResult, ProbeSpec } from '../../core/backend-probe';
import type { BackendName } from '../../core/backend';
import type { InitResult } from '../../worker/protocol';
import { backendOrder } from '../settings/change-policy';
import { EMBEDDED, type Settings } from '../settings/settings';
import { forcedHead } from '../../core/losses/registry';
import type { UploadedDataInfo } from '../../worker/upload-info';
import { planWasmThreads } from '../../core/wasm-threads';
import { wasmThreadsAsked } from '../../worker/wasm-threads-ask';

const PREFIX = 'ltpg-backend-v1|';

interface Cached {
  order: BackendName[];
  why: string;
  timings: NonNullable<InitResult['measured']>['timings'];
}

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

interface InitLink {
  init(order: BackendName[], wasmPaths?: string): Promise<InitResult>;
}

/** What "Auto" measures for these settings (the embedded data: 28×28 grey, 10 classes). */
export function probeSpecFor(s: Settings, uploads: readonly UploadedDataInfo[] = []): ProbeSpec {
  const c = s.config;
  const u = uploads.find((x) => x.id === c.dataset);
  return {
    model: c.model,
    head: forcedHead(c.loss)?.head ?? c.head,
    inputShape: u ? [u.height, u.width, u.channels] : [28, 28, 1],
    numClasses: u ? u.classNames.length : EMBEDDED.classes,
    batchSize: c.batchSize,
  };
}

export function cacheKey(p: ProbeSpec, userAgent: string): string {
  return `${PREFIX}${p.model}|${p.head}|${p.inputShape.join('x')}|${p.numClasses}|b${p.batchSize}|${userAgent}`;
}

function defaultStore(): KeyValueStore | null {
  try {
    return typeof localStorage !== 'undefined' ? localStorage : null;
  } catch {
    return null; // storage blocked (privacy settings): measure every time
  }
}

function readCache(store: KeyValueStore | null, key: string): Cached | null {
  try {
    const v = store?.getItem(key);
    if (!v) return null;
    const c = JSON.parse(v) as Cached;
    return Array.isArray(c.order) && c.order.length && typeof c.why === 'string' ? c : null;
  } catch {
    return null;
  }
}

/** Where measurements are cached and which browser measures (tests pass their own). */
export interface ChoiceOptions {
  uploads?: readonly UploadedDataInfo[];
  /** Default: localStorage (null: no cache). */
  store?: KeyValueStore | null;
  /** Default: navigator.userAgent. */
  userAgent?: string;
  /** The wasm threads the workers get (default: this page's plan); a measurement at 1 thread is not one at 4. */
  wasmThreads?: number;
}

function pageWasmThreads(): number {
  const g = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };
  return planWasmThreads(wasmThreadsAsked(), g.navigator?.hardwareConcurrency, g.crossOriginIsolated === true).threads;
}

function storeOf(opts: ChoiceOptions): KeyValueStore | null {
  return opts.store === undefined ? defaultStore() : opts.store;
}

function keyFor(probe: ProbeSpec, opts: ChoiceOptions): string {
  const threads = opts.wasmThreads ?? pageWasmThreads();
  // one thread keeps the key measurements had before wasm had threads
  const key = cacheKey(probe, opts.userAgent ?? (typeof navigator !== 'undefined' ? navigator.userAgent : 'node'));
  return threads > 1 ? `${key}|wasm${threads}t` : key;
}

/** `r` (the cached winner, running) with the cached measurement as its reason. */
function withCached(r: InitResult, cached: Cached): InitResult {
  const why = `${cached.why} (measured earlier in this browser)`;
  return { ...r, reason: why, measured: { timings: cached.timings, why, cached: true } };
}

/** The backend "Auto" starts on before anything is measured: it needs no GPU and is rarely much slower. */
export const UNMEASURED_START: BackendName = 'wasm';

/**
 * Starts the worker's backend for `settings`. "Auto": the cached winner of an earlier measurement, else wasm (then
 * the rest of the order as fallbacks) — never a measurement, so the first run is configured at once.
 */
export async function initBackendFor(
  link: InitLink,
  settings: Settings,
  opts: ChoiceOptions & { wasmPaths?: string } = {},
): Promise<InitResult> {
  const order = backendOrder(settings.backend);
  if (settings.backend !== 'auto') return link.init(order, opts.wasmPaths);
  const cached = readCache(storeOf(opts), keyFor(probeSpecFor(settings, opts.uploads), opts));
  if (cached) {
    const r = await link.init([...cached.order, ...order.filter((b) => !cached.order.includes(b))], opts.wasmPaths);
    if (r.backend !== cached.order[0]) return r; // the measured winner failed here now: the plain fallback reason
    return withCached(r, cached);
  }
  const r = await link.init([UNMEASURED_START, ...order.filter((b) => b !== UNMEASURED_START)], opts.wasmPaths);
  return r.backend === UNMEASURED_START ? { ...r, reason: `${r.backend} — starts at once; the others are measured in the background` } : r;
}

/** What "Auto" has to measure in the background for `settings` (null: a forced backend, or measured before here). */
export function measurementNeeded(settings: Settings, opts: ChoiceOptions = {}): ProbeSpec | null {
  if (settings.backend !== 'auto') return null;
  const probe = probeSpecFor(settings, opts.uploads);
  return readCache(storeOf(opts), keyFor(probe, opts)) ? null : probe;
}

/** Keeps a finished measurement of `probe` for this browser's next visits. */
export function saveMeasurement(probe: ProbeSpec, r: ProbeResult, opts: ChoiceOptions = {}): void {
  const store = storeOf(opts);
  if (!store) return;
  try {
    store.setItem(keyFor(probe, opts), JSON.stringify({ order: r.order, why: r.why, timings: r.timings } satisfies Cached));
  } catch {
    /* storage full or blocked: measure again next time */
  }
}

/** `current` (running) with a measurement just made as its reason. */
export function withMeasurement(current: InitResult, r: ProbeResult): InitResult {
  return { ...current, reason: r.why, measured: { timings: r.timings, why: r.why } };
}

/**
 * "Auto" when a settings change gives the run another model or head: the measurement belongs to the model it timed,
 * so the new one needs its own. 'keep': this browser measured the new model before and its winner is the backend the
 * worker runs (`result`: the badge's reason for it); 'measure': never measured, and the worker runs wasm (where an
 * unmeasured start goes): it stays and the new model is measured in the background; 'respawn': a new worker starts
 * on the cached, different winner (or on wasm, to measure from there). null: nothing to decide (not "Auto" before and after, or the same model and head).
 */
export function autoAfterChange(
  current: InitResult | null,
  from: Settings,
  to: Settings,
  opts: ChoiceOptions = {},
): { action: 'keep'; result: InitResult } | { action: 'measure' } | { action: 'respawn' } | null {
  if (!current || from.backend !== 'auto' || to.backend !== 'auto') return null;
  const before = probeSpecFor(from, opts.uploads);
  const after = probeSpecFor(to, opts.uploads);
  if (before.model === after.model && before.head === after.head) return null;
  const cached = readCache(storeOf(opts), keyFor(after, opts));
  if (cached && cached.order[0] === current.backend) return { action: 'keep', result: withCached(current, cached) };
  // never measured, and the worker runs the backend that needs no measurement: it stays, the new model is measured
  if (!cached && current.backend === UNMEASURED_START) return { action: 'measure' };
  return { action: 'respawn' };
}
