import type { Logger } from 'pino';
import type { PollHub } from './poll-hub.js';
import type { WatchTarget } from './watch-target.js';
import { keyName, watchKey } from './keys.js';

/** Where the background watch finds the batches it should watch (the ledger's unfinished submissions). */
export type BackgroundSource = (limit: number) => Promise<WatchTarget[] | undefined>;

/** What the background watch reports (`/metrics`, tests). */
export interface BackgroundStats {
  /** Batches watched in the background now, on this replica. */
  watched: number;
  /** `WATCH_BACKGROUND_MAX`. */
  max: number;
  /** Submissions it could not watch, the cap being reached (since start; a scan over the cap counts none). */
  refused: number;
}

/** Ids it stopped watching for good (not found: gone, or never there); bounded, oldest forgotten first. */
const MAX_GIVEN_UP = 10_000;

/**
 * Keeps reading, with nobody connected, the batches that matter until they finish: those submitted through
 * batchql (docs/live-progress.md, "Background watching"). Each is a watch of the poll hub (`WatchTarget.background`),
 * so it is read as every watched batch is (one loop per batch across replicas, a Check batch through the bulk
 * refresh), at the background pace, within the provider's polling budget; every reading reaches the ledger, its
 * health included. At most `max` at once on this replica: a batch beyond is not watched (its health stays
 * `UNKNOWN` unless a client watches it). The ledger is scanned at start and every `scanMs`, so a restart, or a
 * batch another replica submitted, is picked up.
 */
export class BackgroundWatch {
  private readonly watching = new Map<string, () => void>();
  private readonly givenUp = new Set<string>();
  private refused = 0;
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly hub: PollHub,
    private readonly options: { max: number; scanMs: number; source?: BackgroundSource; log?: Logger },
  ) {}

  /** Scans the ledger now, then every `scanMs`. */
  start(): void {
    if (this.options.max === 0 || !this.options.source) return;
    const tick = () => {
      this.timer = setTimeout(() => void this.scan().finally(tick), this.options.scanMs);
      this.timer.unref();
    };
    void this.scan().finally(tick);
  }

  /** Watches `target` in the background until it finishes; false when the cap is reached (counted). */
  add(target: WatchTarget, counted = true): boolean {
    const bg: WatchTarget = { ...target, background: true, includePendingDetails: false };
    delete bg.includeDetailFields;
    const name = keyName(watchKey(bg));
    if (this.closed || this.watching.has(name) || this.givenUp.has(name)) return !this.closed;
    if (this.watching.size >= this.options.max) {
      if (counted) this.refused++;
      return false;
    }
    const channel = this.hub.watch(bg);
    this.watching.set(name, () => void channel.return());
    // Drained as it comes (a latest-value channel holds one state at most); the watch ends with the batch.
    const drain = (): void => {
      channel.next().then(
        (result) => (result.done ? this.watching.delete(name) : drain()),
        () => {
          // Not found, or refused: it will not be found by reading again.
          this.watching.delete(name);
          this.givenUp.add(name);
          if (this.givenUp.size > MAX_GIVEN_UP) this.givenUp.delete(this.givenUp.values().next().value!);
        },
      );
    };
    drain();
    return true;
  }

  stats(): BackgroundStats {
    return { watched: this.watching.size, max: this.options.max, refused: this.refused };
  }

  /** Stops every background watch (shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.scanning;
    for (const stop of this.watching.values()) stop();
    this.watching.clear();
  }

  /** Adds what the ledger lists and is not watched yet, up to the cap. */
  private async scan(): Promise<void> {
    if (this.closed || !this.options.source) return;
    this.scanning = (async () => {
      try {
        const targets = (await this.options.source!(this.options.max)) ?? [];
        for (const target of targets) if (!this.add(target, false)) break;
      } catch (error) {
        this.options.log?.warn({ err: error }, 'background watch: the ledger could not be scanned; next scan later');
      }
    })();
    await this.scanning;
  }
}
