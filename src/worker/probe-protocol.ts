/** Messages between the page and the background measurement's worker (./probe.worker.ts). */
import type { BackendName } from '../core/backend';
import type { BackendTiming, ProbeResult, ProbeSpec } from '../core/backend-probe';

export interface ProbeRequest {
  spec: ProbeSpec;
  candidates: BackendName[];
  /** The measurement's own budget (each GPU candidate gets what is left of it, at least 1 s). */
  budgetMs: number;
  wasmPaths?: string;
  /** wasm threads asked for (undefined: automatic). */
  wasmThreads?: number;
}

export type ProbeReply =
  | { type: 'measuring'; backend: BackendName; software: string | null }
  | { type: 'timed'; timing: BackendTiming }
  | { type: 'done'; result: ProbeResult }
  | { type: 'error'; message: string };
