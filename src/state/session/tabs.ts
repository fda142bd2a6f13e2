/**
 * Several tabs of the playground in one browser. Each tab has an id and a label ("the tab opened 7 Dec 2026 15:42")
 * and holds a Web Lock named after itself for its lifetime, so that a reload can tell which saved runs belong to a
 * tab still open (a lock dies with its tab, however the tab ends). While it trains it holds a second lock, and a
 * BroadcastChannel tells the other tabs. A tab that starts training while another trains is told so (a notice;
 * training is allowed: each run is saved under its own key), and so is the tab already training.
 */
import type { PlaygroundStore } from './store';

export interface TabInfo {
  id: string;
  label: string;
}

/** The parts of the Web Locks API used (navigator.locks). */
export interface LocksLike {
  request(name: string, callback: () => Promise<unknown>): Promise<unknown>;
  query(): Promise<{ held?: { name?: string }[] }>;
}

/** The parts of a BroadcastChannel used. */
export interface ChannelLike {
  postMessage(m: unknown): void;
  addEventListener(type: 'message', l: (ev: MessageEvent) => void): void;
  close(): void;
}

const TAB_LOCK = 'ltpg-tab ';
const TRAINING_LOCK = 'ltpg-training ';
const CHANNEL = 'ltpg-tabs';

type TabMessage = { type: 'hello'; tab: TabInfo } | { type: 'training'; tab: TabInfo; run: string } | { type: 'stopped'; tab: TabInfo };

/** "the tab opened 7 Dec 2026 15:42". */
export function tabLabel(openedAt: number): string {
  const d = new Date(openedAt);
  return `the tab opened ${d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric' })} ${d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' })}`;
}

function newTab(now: number): TabInfo {
  const id =
    typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : `${now}-${Math.random().toString(36).slice(2)}`;
  return { id, label: tabLabel(now) };
}

function parseLock(name: string | undefined, prefix: string): (TabInfo & { run?: string }) | null {
  if (!name?.startsWith(prefix)) return null;
  try {
    const v = JSON.parse(name.slice(prefix.length)) as { id?: unknown; label?: unknown; run?: unknown };
    if (typeof v.id !== 'string' || typeof v.label !== 'string') return null;
    return { id: v.id, label: v.label, ...(typeof v.run === 'string' ? { run: v.run } : {}) };
  } catch {
    return null;
  }
}

export interface TabsOptions {
  tab?: TabInfo;
  now?: () => number;
  /** Default navigator.locks (null: none). */
  locks?: LocksLike | null;
  /** Default a BroadcastChannel (null: none). */
  channel?: ChannelLike | null;
}

export class Tabs {
  readonly tab: TabInfo;
  private readonly locks: LocksLike | null;
  private readonly channel: ChannelLike | null;
  /** Other tabs training now, as the channel told. */
  private readonly training = new Map<string, { tab: TabInfo; run: string }>();
  private releaseTab: (() => void) | null = null;
  private releaseTraining: (() => void) | null = null;
  private unsubscribe: (() => void) | null = null;
  private running = false;

  constructor(
    private readonly store: PlaygroundStore,
    opts: TabsOptions = {},
  ) {
    this.tab = opts.tab ?? newTab((opts.now ?? Date.now)());
    const nav = typeof navigator !== 'undefined' ? (navigator as { locks?: LocksLike }) : undefined;
    this.locks = opts.locks !== undefined ? opts.locks : (nav?.locks ?? null);
    this.channel =
      opts.channel !== undefined ? opts.channel : typeof BroadcastChannel !== 'undefined' ? new BroadcastChannel(CHANNEL) : null;
  }

  /** Holds this tab's lock, listens to the other tabs and watches this tab's training. */
  start(): void {
    this.releaseTab = this.hold(TAB_LOCK + JSON.stringify(this.tab));
    this.channel?.addEventListener('message', (ev) => this.onMessage(ev.data as TabMessage));
    this.post({ type: 'hello', tab: this.tab });
    // a tab closed while training says so (its locks go with it anyway)
    if (typeof window !== 'undefined') window.addEventListener('pagehide', () => this.running && this.stoppedTraining());
    this.unsubscribe = this.store.subscribe((s, prev) => {
      if (s.phase === prev.phase) return;
      if (s.phase === 'running' && !this.running) void this.startedTraining();
      else if (s.phase !== 'running' && this.running) this.stoppedTraining();
    });
  }

  /** Holds the lock `name` until the returned function is called (nothing without the Web Locks API). */
  private hold(name: string): () => void {
    if (!this.locks) return () => undefined;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    this.locks.request(name, () => held).catch(() => undefined);
    return release;
  }

  private post(m: TabMessage): void {
    try {
      this.channel?.postMessage(m);
    } catch {
      /* a closed channel */
    }
  }

  private runLabel(): string {
    return this.store.getState().current?.label ?? 'a run';
  }

  private async startedTraining(): Promise<void> {
    this.running = true;
    const run = this.runLabel();
    this.releaseTraining = this.hold(TRAINING_LOCK + JSON.stringify({ ...this.tab, run }));
    this.post({ type: 'training', tab: this.tab, run });
    const others = await this.othersTraining();
    if (this.running && others.length) this.tell(others);
  }

  private stoppedTraining(): void {
    this.running = false;
    this.releaseTraining?.();
    this.releaseTraining = null;
    this.post({ type: 'stopped', tab: this.tab });
  }

  private onMessage(m: TabMessage): void {
    if (!m || typeof m !== 'object' || !m.tab || m.tab.id === this.tab.id) return;
    if (m.type === 'hello') {
      if (this.running) this.post({ type: 'training', tab: this.tab, run: this.runLabel() });
    } else if (m.type === 'training') {
      this.training.set(m.tab.id, { tab: m.tab, run: m.run });
      if (this.running) this.tell([...this.training.values()]);
    } else if (m.type === 'stopped') {
      this.training.delete(m.tab.id);
      if (this.training.size === 0) this.store.getState().dismissNotice('tabs');
    }
  }

  /** The other tabs training now: the training locks held (they die with their tab), else what the channel told. */
  async othersTraining(): Promise<{ tab: TabInfo; run: string }[]> {
    const found = new Map(this.training);
    if (this.locks) {
      try {
        for (const l of (await this.locks.query()).held ?? []) {
          const t = parseLock(l.name, TRAINING_LOCK);
          if (t && t.id !== this.tab.id) found.set(t.id, { tab: { id: t.id, label: t.label }, run: t.run ?? 'a run' });
        }
      } catch {
        /* no lock information: the channel's */
      }
    }
    return [...found.values()];
  }

  /** The ids of the tabs open now (their tab locks), this one included; empty without the Web Locks API. */
  async openTabs(): Promise<Set<string>> {
    const ids = new Set<string>();
    if (!this.locks) return ids;
    for (const l of (await this.locks.query()).held ?? []) {
      const t = parseLock(l.name, TAB_LOCK);
      if (t) ids.add(t.id);
    }
    return ids;
  }

  private tell(others: { tab: TabInfo; run: string }[]): void {
    const who = others.map((o) => `${o.tab.label} (${o.run})`).join(', ');
    this.store.getState().pushNotice({
      id: 'tabs',
      level: 'info',
      title: others.length === 1 ? 'Another tab is training:' : `${others.length} other tabs are training:`,
      items: [
        `${who}. Training here goes on, and each tab's run is saved separately; the tabs share this computer's processor and GPU, so each trains slower.`,
      ],
    });
  }

  dispose(): void {
    if (this.running) this.stoppedTraining();
    this.unsubscribe?.();
    this.releaseTab?.();
    this.channel?.close();
  }
}
