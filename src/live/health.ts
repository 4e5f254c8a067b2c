import type { Batch, BatchHealth, BatchStatus, HealthVerdict } from '../domain/batch.js';

/** The numbers health is judged by (`HEALTH_*`, docs/live-progress.md, "Batch health"). */
export interface HealthPolicy {
  /** RUNNING with no progress for this long is `STALLED`. */
  stallAfterMs: number;
  /** The recent window whose rate is compared with the batch's earlier rate. */
  windowMs: number;
  /** `SLOW` when the recent rate is below this fraction of the earlier rate. */
  slowFraction: number;
  /** Progress points (readings whose count moved) needed before `SLOW` is judged at all. */
  minSamples: number;
  /** Consecutive readings better than the current health before it improves (no flapping). */
  recoverReadings: number;
}

/** One point of a batch's history the tracker is seeded with (the ledger's samples and status changes). */
export interface HealthPoint {
  at: number;
  processed: number;
  /** The status from then on, for a status change; null for a progress sample. */
  status: BatchStatus | null;
}

/** What a tracker starts from: the stored history, and the health stored last (when it is still current). */
export interface HealthSeed {
  points: readonly HealthPoint[];
  last?: HealthVerdict | undefined;
}

interface Point {
  at: number;
  processed: number;
}

const RANK: Record<BatchHealth, number> = { OK: 0, UNKNOWN: 0, SLOW: 1, STALLED: 2 };
/** A bound on the points kept, whatever the window (a batch whose count moves at every 10 ms reading). */
const MAX_POINTS = 5_000;

const minutes = (ms: number) =>
  ms >= 60_000 ? `${Math.round(ms / 6_000) / 10} min` : `${Math.round(ms / 100) / 10} s`;
const perSecond = (perMs: number) => `${Math.round(perMs * 1000 * 100) / 100}/s`;

/**
 * Judges one batch's health from its readings, in the order they were taken (docs/live-progress.md, "Batch
 * health"). Counts only grow (a count that drops restarts the history), so the same count at two readings means
 * no progress between them, however long apart they are: the stall clock is exact across gaps, and across
 * restarts when seeded from the ledger. `SLOW` compares the rate over the last `windowMs` with the rate from the
 * first running reading to the window's start; it is judged only when the window was watched without a break
 * (this tracker read the batch all along it), after a full window since the end of a stall, with at least one
 * window of earlier history and `minSamples` points. A worse health is taken at once; a better one only after
 * `recoverReadings` consecutive readings say so.
 */
export class HealthTracker {
  /** The points where the count moved (the first reading of each count), the oldest pruned past the window. */
  private points: Point[] = [];
  /** The first running point: the start of the earlier rate. */
  private anchor: Point | undefined;
  /** Points since the anchor. */
  private samples = 0;
  /** When the count last moved, or the batch began running. */
  private lastMoveAt: number | undefined;
  private lastProcessed: number | undefined;
  private lastStatus: BatchStatus | null = null;
  /** This tracker's first reading of the batch: the readings since have no gap longer than an interval. */
  private watchedSince: number | undefined;
  /** The first move after a stall: `SLOW` is judged again only a full window after it. */
  private resumedAt: number | undefined;
  private verdict: HealthVerdict | undefined;
  /** Consecutive readings better than the current health. */
  private better = 0;
  /** Settles once the seed (the stored history) is in: readings wait for it. */
  readonly ready: Promise<void>;
  /** When the last reading was judged (epoch ms). */
  assessedAt = 0;
  /** The `observedAt` of the last reading judged: one reading that two loops bring (a bulk walk's row) counts once. */
  private lastObserved = Number.NaN;

  constructor(
    private readonly policy: HealthPolicy,
    seed?: Promise<HealthSeed | undefined>,
  ) {
    this.ready = seed
      ? seed.then(
          (s) => s && this.seed(s),
          // No history (an unreadable ledger): judged from the readings alone.
          () => {},
        )
      : Promise.resolve();
  }

  /** The current health, or undefined before the first reading. */
  get current(): HealthVerdict | undefined {
    return this.verdict;
  }

  /** The stored history, taken in at the first reading (which says what "now" is). */
  private seeded: HealthSeed | undefined;

  private seed(seed: HealthSeed): void {
    // Readings that came first (the seed is awaited before any, so none) would be older: the seed never rewinds.
    if (this.watchedSince === undefined) this.seeded = seed;
  }

  /**
   * Takes in the seed before the first reading at `at`: its points up to `at` only (a point after it is from a
   * clock ahead of this one, another replica's: it cannot be placed), and its stored verdict if not newer either.
   */
  private takeSeed(at: number): void {
    const seed = this.seeded;
    this.seeded = undefined;
    if (!seed) return;
    for (const p of seed.points) if (p.at <= at) this.note(p.at, p.processed, p.status ?? this.lastStatus);
    const last = seed.last;
    if (last && last.health !== 'UNKNOWN' && (last.healthSince?.getTime() ?? 0) <= at) this.verdict = last;
  }

  /** Takes in one point of the history: the stall clock, the anchor and the progress points. */
  private note(at: number, processed: number, status: BatchStatus | null): void {
    const wasRunning = this.lastStatus === 'RUNNING';
    this.lastStatus = status;
    if (status !== 'RUNNING') {
      this.lastProcessed = processed;
      return;
    }
    if (this.lastProcessed !== undefined && processed < this.lastProcessed) {
      // The counts restarted: the history before says nothing about the batch now.
      this.points = [];
      this.anchor = undefined;
      this.samples = 0;
    }
    const moved = this.lastProcessed === undefined || processed !== this.lastProcessed;
    if (!wasRunning || moved) {
      this.lastMoveAt = at;
      const point = { at, processed };
      this.anchor ??= point;
      this.points.push(point);
      this.samples++;
      if (this.points.length > MAX_POINTS) this.points.splice(0, this.points.length - MAX_POINTS);
    }
    if (moved && this.verdict?.health === 'STALLED') this.resumedAt = at;
    this.lastProcessed = processed;
  }

  /** The count at `at`: that of the last point at or before it (counts only grow between readings). */
  private countAt(at: number): number | undefined {
    let count: number | undefined;
    for (const p of this.points) {
      if (p.at > at) break;
      count = p.processed;
    }
    return count;
  }

  /** Drops points no window will look at again (the last one before the window stays: it is the window's start). */
  private prune(now: number): void {
    const start = now - this.policy.windowMs;
    let drop = 0;
    while (drop + 1 < this.points.length && this.points[drop + 1]!.at <= start) drop++;
    if (drop > 0) this.points.splice(0, drop);
  }

  /** What the readings say now, before hysteresis. */
  private raw(batch: Pick<Batch, 'progress'>, at: number): Omit<HealthVerdict, 'healthSince'> {
    const { stallAfterMs, windowMs, slowFraction, minSamples } = this.policy;
    const still = at - (this.lastMoveAt ?? at);
    if (still >= stallAfterMs)
      return {
        health: 'STALLED',
        healthReason:
          `no progress for ${minutes(still)} (stalled after ${minutes(stallAfterMs)}), ` +
          `at ${batch.progress.processed} items processed`,
      };
    const start = at - windowMs;
    const anchor = this.anchor;
    const judged =
      anchor !== undefined &&
      this.watchedSince !== undefined &&
      this.watchedSince <= start &&
      (this.resumedAt === undefined || this.resumedAt <= start) &&
      anchor.at <= start - windowMs &&
      this.samples >= minSamples;
    if (!judged) return { health: 'OK', healthReason: null };
    const atStart = this.countAt(start) ?? anchor.processed;
    const recent = (batch.progress.processed - atStart) / windowMs;
    const earlier = (atStart - anchor.processed) / (start - anchor.at);
    if (earlier > 0 && recent < slowFraction * earlier)
      return {
        health: 'SLOW',
        healthReason:
          `${perSecond(recent)} over the last ${minutes(windowMs)}, below ${Math.round(slowFraction * 100)} % ` +
          `of its earlier ${perSecond(earlier)}`,
      };
    return { health: 'OK', healthReason: null };
  }

  /**
   * Judges one reading taken at `at` (epoch ms), in order: the health to publish with it. A batch that is not
   * RUNNING is `OK` at once (it waits, or it finished).
   */
  assess(batch: Pick<Batch, 'status' | 'progress' | 'observedAt'>, at: number): HealthVerdict {
    const observed = batch.observedAt.getTime();
    if (observed === this.lastObserved && this.verdict) return this.verdict;
    this.lastObserved = observed;
    this.takeSeed(at);
    this.note(at, batch.progress.processed, batch.status);
    this.watchedSince ??= at;
    this.assessedAt = at;
    this.prune(at);
    const now = batch.status === 'RUNNING' ? this.raw(batch, at) : { health: 'OK' as const, healthReason: null };
    const current = this.verdict;
    if (!current || batch.status !== 'RUNNING' || RANK[now.health] > RANK[current.health]) {
      this.better = 0;
      if (!current || current.health !== now.health) this.verdict = { ...now, healthSince: new Date(at) };
      return this.verdict!;
    }
    if (RANK[now.health] === RANK[current.health]) {
      this.better = 0;
      return current;
    }
    this.better++;
    if (this.better < this.policy.recoverReadings) return current;
    this.better = 0;
    this.verdict = { ...now, healthSince: new Date(at) };
    return this.verdict;
  }
}
