/**
 * SIGINT / SIGTERM while a CLI trains. Until `arm()` (data loading, backend start) a signal has its default
 * action: nothing is finished yet, so the process ends at once. Once armed, the first signal asks the run to stop
 * after the batch in flight and to write what has finished, and gives both signals their default action back, so
 * a second one ends the process at once — by the kernel, even inside a long synchronous batch or write.
 */
import { constants } from 'node:os';

type Sig = 'SIGINT' | 'SIGTERM';
const SIGNALS: readonly Sig[] = ['SIGINT', 'SIGTERM'];

export class Interrupt {
  /** The first signal received after arm(), or null. */
  signal: Sig | null = null;
  private readonly stops = new Set<() => void>();
  private readonly handler = (s: Sig) => this.received(s);

  /** @param then what happens after the stop, for the message ("the finished epochs are written to run.json"). */
  constructor(private readonly then: string) {}

  arm(): void {
    if (this.signal) return;
    for (const s of SIGNALS) process.on(s, this.handler);
  }

  private received(s: Sig): void {
    if (this.signal) return;
    this.signal = s;
    for (const x of SIGNALS) process.removeListener(x, this.handler);
    process.stderr.write(`\n${s}: stopping after the current batch; ${this.then} (send it again to quit at once)\n`);
    for (const f of this.stops) f();
  }

  /** Calls `stop` on the first signal (at once when one came already); returns the unsubscribe. */
  onStop(stop: () => void): () => void {
    if (this.signal) stop();
    this.stops.add(stop);
    return () => this.stops.delete(stop);
  }

  /** 128 + the signal's number (130 for SIGINT, 143 for SIGTERM), as a shell reports a process the signal ended. */
  get exitCode(): number | null {
    return this.signal ? 128 + constants.signals[this.signal] : null;
  }
}
