/**
 * Starting a worker's backend from the page: a forced backend is tried as chosen; "Auto" asks the worker to time a
 * step of the model on the candidates (core/backend-probe.ts) unless this browser measured that model before — the
 * result is cached in localStorage per model, head, input shape, batch size and user agent (a new browser version or
 * another machine measures again). Changing the model (or head) under "Auto" decides again (`autoAfterChange`).
 */
import type { ProbeSpec } from '../core/backend-probe';
import type { BackendName } from '../core/backend';
import type { InitResult } from '../worker/protocol';
import { backendOrder } from './change-policy';
import { EMBEDDED, forcedHead, type Settings } from './settings';
import type { UploadedDataInfo } from '../worker/upload-info';

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
  init(order: BackendName[], wasmPaths?: string, probe?: ProbeSpec): Promise<InitResult>;
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
}

function storeOf(opts: ChoiceOptions): KeyValueStore | null {
  return opts.store === undefined ? defaultStore() : opts.store;
}

function keyFor(probe: ProbeSpec, opts: ChoiceOptions): string {
  return cacheKey(probe, opts.userAgent ?? (typeof navigator !== 'undefined' ? navigator.userAgent : 'node'));
}

/** `r` (the cached winner, running) with the cached measurement as its reason. */
function withCached(r: InitResult, cached: Cached): InitResult {
  const why = `${cached.why} (measured earlier in this browser)`;
  return { ...r, reason: why, measured: { timings: cached.timings, why, cached: true } };
}

/** Starts the worker's backend for `settings` (measuring or using the cached measurement for "Auto"). */
export async function initBackendFor(
  link: InitLink,
  settings: Settings,
  opts: ChoiceOptions & { wasmPaths?: string } = {},
): Promise<InitResult> {
  const order = backendOrder(settings.backend);
  if (settings.backend !== 'auto') return link.init(order, opts.wasmPaths);
  const store = storeOf(opts);
  const probe = probeSpecFor(settings, opts.uploads);
  const key = keyFor(probe, opts);
  const cached = readCache(store, key);
  if (cached) {
    const r = await link.init([...cached.order, ...order.filter((b) => !cached.order.includes(b))], opts.wasmPaths);
    if (r.backend !== cached.order[0]) return r; // the measured winner failed here now: the plain fallback reason
    return withCached(r, cached);
  }
  const r = await link.init(order, opts.wasmPaths, probe);
  if (r.measured && store) {
    const measuredOrder = [r.backend, ...order.filter((b) => b !== r.backend)];
    try {
      store.setItem(key, JSON.stringify({ order: measuredOrder, why: r.measured.why, timings: r.measured.timings } satisfies Cached));
    } catch {
      /* storage full or blocked: measure again next time */
    }
  }
  return r;
}

/**
 * "Auto" when a settings change gives the run another model or head: the measurement belongs to the model it timed,
 * so the new one needs its own. 'keep': this browser measured the new model before and its winner is the backend the
 * worker runs (`result`: the badge's reason for it); 'respawn': a new worker measures it (or starts on its cached,
 * different winner). null: nothing to decide (not "Auto" before and after, or the same model and head).
 */
export function autoAfterChange(
  current: InitResult | null,
  from: Settings,
  to: Settings,
  opts: ChoiceOptions = {},
): { action: 'keep'; result: InitResult } | { action: 'respawn' } | null {
  if (!current || from.backend !== 'auto' || to.backend !== 'auto') return null;
  const before = probeSpecFor(from, opts.uploads);
  const after = probeSpecFor(to, opts.uploads);
  if (before.model === after.model && before.head === after.head) return null;
  const cached = readCache(storeOf(opts), keyFor(after, opts));
  if (cached && cached.order[0] === current.backend) return { action: 'keep', result: withCached(current, cached) };
  return { action: 'respawn' };
}
