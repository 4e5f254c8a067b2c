import { createRandom } from './clock.js';

/** How a simulated batch ends. */
export type SimOutcome = 'success' | 'partial' | 'failedValidation' | 'cancelled';

/** One simulated batch: fixed facts from which its state at any time is computed. */
export interface SimBatch {
  id: string;
  index: number;
  createdAt: number;
  startAt: number;
  durationMs: number;
  total: number;
  /** Items i with failing(i) true fail when processed. */
  failRate: number;
  outcome: SimOutcome;
  /** Set when the batch was stopped or cancelled (by the data set or the API). */
  cancelledAt: number | null;
  /** Reach: records stored as pending, and when they expire. */
  pendingRecords: number;
  pendingExpiresAt: number | null;
  /** Provider-specific extras (types, names…), fixed at creation. */
  extra: Record<string, unknown>;
  /**
   * Changes of the batch's pace, oldest first (`setPace`); none (or an empty list) runs it at its normal pace.
   * The list is data like the rest, so a batch's state stays a pure function of the time.
   */
  pace?: PaceChange[];
}

/**
 * From `at` (epoch ms) on, the batch progresses `factor` times its normal speed: 1 normal, 0 frozen (it stays
 * running with unchanged counts and does not finish), 0.1 ten times slower, 2 twice faster.
 */
interface PaceChange {
  at: number;
  factor: number;
}

/** The state of a batch at one instant. */
export interface SimState {
  phase: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  processed: number;
  failed: number;
  succeeded: number;
  /** Reach only: pending records still waiting at this instant. */
  pending: number;
  startedAt: number | null;
  completedAt: number | null;
}

/** True when item `i` of `b` is one of its failing items (deterministic, spread over the batch). */
export function isFailingItem(b: SimBatch, i: number): boolean {
  if (b.failRate <= 0) return false;
  return ((i * 7919 + b.index * 104729) % 1000) / 1000 < b.failRate;
}

/**
 * Where batch `b`'s progress stands at time `t`, as the time its normal pace would have reached it: its start
 * plus its effective elapsed time, the integral of its pace factor from its start to `t` (before its start, and
 * without pace changes, `t` itself). Continuous in `t`, and never decreasing.
 */
export function progressTimeAt(b: SimBatch, t: number): number {
  const pace = b.pace;
  if (pace === undefined || pace.length === 0 || t <= b.startAt) return t;
  // A change made while the batch was queued sets the pace it starts with: the queued phase keeps its length.
  let reached = b.startAt;
  let from = b.startAt;
  let factor = 1;
  for (const change of pace) {
    if (change.at >= t) break;
    if (change.at > from) ((reached += (change.at - from) * factor), (from = change.at));
    factor = change.factor;
  }
  return reached + (t - from) * factor;
}

/**
 * The inverse of `progressTimeAt`: the first time (epoch ms, rounded up to a whole one) at which batch `b`'s
 * progress reaches `progressTime`, or +Infinity if its pace never gets it there (frozen before).
 */
export function timeOfProgress(b: SimBatch, progressTime: number): number {
  const pace = b.pace;
  if (pace === undefined || pace.length === 0 || progressTime <= b.startAt) return progressTime;
  let reached = b.startAt;
  let from = b.startAt;
  let factor = 1;
  for (const change of pace) {
    if (change.at > from) {
      const next = reached + (change.at - from) * factor;
      if (next >= progressTime) break;
      ((reached = next), (from = change.at));
    }
    factor = change.factor;
  }
  if (factor <= 0) return Number.POSITIVE_INFINITY;
  // Whole milliseconds as the clocks keep; the margin absorbs the rounding of the division.
  return Math.ceil(from + (progressTime - reached) / factor - 1e-6);
}

/**
 * Sets batch `b`'s pace to `factor` from `at` on (see `PaceChange`): changes from `at` on are replaced, earlier
 * ones stay, so its progress up to `at` is what it was and goes on from there without a jump. Factor 1 with no
 * earlier change clears the list, so a batch back at its normal pace costs what it did before.
 */
export function setPace(b: SimBatch, at: number, factor: number): void {
  if (!Number.isFinite(factor) || factor < 0) throw new RangeError(`pace factor must be a number >= 0: ${factor}`);
  const kept = (b.pace ?? []).filter((change) => change.at < at);
  if (kept.length === 0 && factor === 1) delete b.pace;
  else b.pace = [...kept, { at, factor }];
}

/**
 * When batch `b` finishes (epoch ms) at its pace, unless cancelled first: +Infinity while a freeze keeps it from
 * it. A failed validation ends 500 ms after the start, whatever the pace.
 */
export function plannedEnd(b: SimBatch): number {
  if (b.outcome === 'failedValidation') return b.startAt + 500;
  return timeOfProgress(b, b.startAt + b.durationMs);
}

/** Computes a batch's state at time `t`; its progress follows its pace (`progressTimeAt`). */
export function stateAt(b: SimBatch, t: number): SimState {
  if (b.outcome === 'failedValidation') {
    const done = t >= b.startAt;
    return {
      phase: done ? 'failed' : 'queued',
      processed: 0,
      failed: 0,
      succeeded: 0,
      pending: 0,
      startedAt: done ? b.startAt : null,
      completedAt: done ? b.startAt + 500 : null,
    };
  }
  const stopAt = b.cancelledAt ?? Number.POSITIVE_INFINITY;
  const at = Math.min(t, stopAt);
  if (at < b.startAt) {
    return {
      phase: t >= stopAt ? 'cancelled' : 'queued',
      processed: 0,
      failed: 0,
      succeeded: 0,
      pending: 0,
      startedAt: null,
      completedAt: t >= stopAt ? stopAt : null,
    };
  }
  // Without pace changes both are the plain times (the cheap path: the demo reads thousands of batches often).
  const paced = b.pace !== undefined && b.pace.length > 0;
  const end = paced ? plannedEnd(b) : b.startAt + b.durationMs;
  const progress = paced ? progressTimeAt(b, at) : at;
  const workable = b.total - b.pendingRecords;
  const finished = at >= end;
  // Paced, the progress may round to the end a millisecond before `end`; the last item waits for it.
  const processedWork = finished
    ? workable
    : Math.min(Math.floor((workable * (progress - b.startAt)) / b.durationMs), Math.max(0, workable - 1));
  let failed = 0;
  // Skipped when no item fails: a long-running demo holds thousands of batches (rolling ones), read often.
  if (b.failRate > 0) for (let i = 0; i < processedWork; i++) if (isFailingItem(b, i)) failed++;
  // Pending records count as processed once the rest is done; when they expire they fail.
  const pendingExpired = finished && b.pendingExpiresAt !== null && t >= b.pendingExpiresAt;
  const pending = finished && !pendingExpired ? b.pendingRecords : 0;
  if (pendingExpired) failed += b.pendingRecords;
  const processed = finished ? b.total : processedWork;
  const phase = t >= stopAt && !finished ? 'cancelled' : finished ? 'done' : 'running';
  return {
    phase,
    processed,
    failed,
    succeeded: processed - failed - pending,
    pending,
    startedAt: b.startAt,
    completedAt: phase === 'done' ? end : phase === 'cancelled' ? stopAt : null,
  };
}

/**
 * The shape of a simulated data set.
 * - `mixed`: every state at the start, in fixed shares (of every 20 batches: 2 queued, 4 running,
 *   6 succeeded, 3 partial, 2 failed validation, 1 cancelled, 2 succeeded or, for Reach, finished
 *   with pending records); durations 20 s to 10 min.
 * - `longRunning`: a load for benchmarks. Of every 20 batches, 18 are running, started 0 to 30 s
 *   (and at most a tenth of their duration) before the start; 1 is queued, starting 5 s to 2 min
 *   after it; 1 is finished: in turn succeeded, partial, failed validation, cancelled (Reach: failed
 *   validation). Durations 5 to 15 min, so with the defaults every running batch is still running
 *   4.5 min after the start, and every batch has finished 17 min after it.
 */
export type DataProfile = 'mixed' | 'longRunning';

/** The data-set options every simulator passes to `generateBatches`. */
export interface DataSetOptions {
  /** @default 'mixed' */
  profile?: DataProfile | undefined;
  /**
   * How long a batch runs, drawn uniformly (integer ms, min <= max, min >= 1).
   * @default { min: 20_000, max: 600_000 } for `mixed`, { min: 300_000, max: 900_000 } for `longRunning`
   */
  durationMs?: { min: number; max: number } | undefined;
}

/** Default durations by profile. */
const DURATIONS: Readonly<Record<DataProfile, { min: number; max: number }>> = {
  mixed: { min: 20_000, max: 600_000 },
  longRunning: { min: 300_000, max: 900_000 },
};

/** Options of `generateBatches`. */
export interface GenerateOptions extends DataSetOptions {
  seed: number;
  count: number;
  now: number;
  makeId: (rand: ReturnType<typeof createRandom>, index: number) => string;
  /** Fraction of batches with Reach-style pending records. @default 0 */
  pendingShare?: number;
  maxItems?: number;
}

/**
 * Generates a seeded data set covering every state at `now`: queued (starting soon), running,
 * succeeded, partially succeeded, failed validation, cancelled and, when asked (and in the
 * `mixed` profile), finished with pending records. createdAt values are distinct and finished
 * batches' are spread over the last 30 days. The same options give the same data set.
 */
export function generateBatches(o: GenerateOptions): SimBatch[] {
  const profile = o.profile ?? 'mixed';
  if (DURATIONS[profile] === undefined) throw new RangeError(`unknown data profile: ${String(profile)}`);
  const durations = o.durationMs ?? DURATIONS[profile];
  if (!Number.isInteger(durations.min) || !Number.isInteger(durations.max) || durations.min < 1)
    throw new RangeError(`durationMs must be integers >= 1: ${JSON.stringify(durations)}`);
  if (durations.max < durations.min)
    throw new RangeError(`durationMs.max < durationMs.min: ${JSON.stringify(durations)}`);
  if (profile === 'longRunning') return generateLongRunning(o, durations);
  const rand = createRandom(o.seed);
  const day = 86_400_000;
  const batches: SimBatch[] = [];
  const ids = new Set<string>();
  for (let index = 0; index < o.count; index++) {
    const base = nextBatch(o, rand, ids, index, durations);
    const { total, durationMs } = base;
    const slot = index % 20;
    // Finished batches were created 1 h to 30 d ago; the ms offset keeps createdAt distinct. With
    // durations over about an hour (durationMs) they are moved back so that they have finished by now.
    const oldCreated = Math.min(o.now - rand.int(3_600_000, 30 * day) - index, o.now - durationMs - 61_000 - index);
    if (slot < 2) {
      // queued: created seconds ago, starts 5 s to 2 min from now
      base.createdAt = o.now - rand.int(1_000, 60_000) - index;
      base.startAt = o.now + rand.int(5_000, 120_000);
      base.failRate = rand.next() < 0.5 ? 0 : 0.05;
    } else if (slot < 6) {
      // running: started within its duration
      base.startAt = o.now - Math.floor(durationMs * (0.1 + rand.next() * 0.7));
      base.createdAt = base.startAt - rand.int(1_000, 30_000) - index;
      base.failRate = rand.next() < 0.5 ? 0 : 0.1;
    } else {
      base.createdAt = oldCreated;
      base.startAt = oldCreated + rand.int(1_000, 60_000);
      if (slot < 12) base.failRate = 0;
      else if (slot < 15) ((base.outcome = 'partial'), (base.failRate = 0.05 + rand.next() * 0.25));
      else if (slot < 17) base.outcome = 'failedValidation';
      else if (slot < 18)
        ((base.outcome = 'cancelled'), (base.cancelledAt = base.startAt + Math.floor(durationMs / 3)));
      else if (o.pendingShare && slot >= 18) {
        // finished, with records waiting for dependencies; some expire soon, some in hours
        base.createdAt = o.now - durationMs - rand.int(60_000, 3_600_000) - index;
        base.startAt = base.createdAt + 1_000;
        base.pendingRecords = Math.max(1, Math.floor(total * 0.1));
        base.failRate = slot === 19 ? 0.1 : 0;
        base.pendingExpiresAt = o.now + (slot === 18 ? rand.int(30_000, 300_000) : rand.int(3_600_000, 86_400_000));
      }
    }
    batches.push(base);
  }
  return batches;
}

/**
 * The next batch of a data set before its profile places it in time: a fresh id, an item count and a
 * duration, drawn from `rand` in that order (the order keeps seeded data sets identical).
 */
function nextBatch(
  o: GenerateOptions,
  rand: ReturnType<typeof createRandom>,
  ids: Set<string>,
  index: number,
  durations: { min: number; max: number },
): SimBatch {
  let id = o.makeId(rand, index);
  while (ids.has(id)) id = o.makeId(rand, index);
  ids.add(id);
  const total = rand.int(5, o.maxItems ?? 400);
  const durationMs = rand.int(durations.min, durations.max);
  return {
    id,
    index,
    total,
    durationMs,
    createdAt: 0,
    startAt: 0,
    failRate: 0,
    outcome: 'success',
    cancelledAt: null,
    pendingRecords: 0,
    pendingExpiresAt: null,
    extra: {},
  };
}

/** A batch for a demo to follow live, appended after a seeded data set (`showcaseBatch`). */
export interface ShowcaseOptions {
  /** When it starts running, from the data set's `now` (ms, >= 0; queued until then). */
  startInMs: number;
  /** How long it runs (ms, >= 1). */
  durationMs: number;
}

/**
 * One batch appended after a data set's seeded ones, which stay exactly as they are (it draws nothing
 * from their random sequence): created half a second before `now`, so it is the newest, queued until
 * `startInMs`, then running for `durationMs` over `total` items, every one of which succeeds.
 */
export function showcaseBatch(id: string, index: number, now: number, total: number, o: ShowcaseOptions): SimBatch {
  if (!Number.isInteger(o.startInMs) || o.startInMs < 0 || !Number.isInteger(o.durationMs) || o.durationMs < 1)
    throw new RangeError(`showcase: startInMs >= 0 and durationMs >= 1, integers: ${JSON.stringify(o)}`);
  return {
    id,
    index,
    total,
    durationMs: o.durationMs,
    createdAt: now - 500,
    startAt: now + o.startInMs,
    failRate: 0,
    outcome: 'success',
    cancelledAt: null,
    pendingRecords: 0,
    pendingExpiresAt: null,
    extra: {},
  };
}

/** Of every 20 batches, how a `longRunning` data set's finished ones end, in turn. */
const FINISHED: readonly SimOutcome[] = ['success', 'partial', 'failedValidation', 'cancelled'];

/** The `longRunning` profile (see `DataProfile`). */
function generateLongRunning(o: GenerateOptions, durations: { min: number; max: number }): SimBatch[] {
  const rand = createRandom(o.seed);
  const batches: SimBatch[] = [];
  const ids = new Set<string>();
  for (let index = 0; index < o.count; index++) {
    const b = nextBatch(o, rand, ids, index, durations);
    const { durationMs } = b;
    const slot = index % 20;
    b.failRate = rand.next() < 0.5 ? 0 : 0.05;
    // Slots 0 and 10 (never a Reach tenant-b batch, whose index is 4 mod 5) are the odd ones out.
    if (slot !== 0 && slot !== 10) {
      // running: started 0 to 30 s ago, at most a tenth of its duration (the ms offset keeps createdAt distinct)
      b.startAt = o.now - Math.floor(rand.next() * Math.min(30_000, durationMs / 10));
      b.createdAt = b.startAt - rand.int(1_000, 10_000) - index;
    } else if (slot === 0) {
      // queued: created seconds ago, starts 5 s to 2 min from now
      b.createdAt = o.now - rand.int(1_000, 60_000) - index;
      b.startAt = o.now + rand.int(5_000, 120_000);
    } else {
      // finished before now, ending in turn as FINISHED says
      b.createdAt = o.now - durationMs - rand.int(3_600_000, 86_400_000) - index;
      b.startAt = b.createdAt + rand.int(1_000, 60_000);
      b.outcome = FINISHED[Math.floor(index / 20) % FINISHED.length]!;
      b.failRate = b.outcome === 'partial' ? 0.05 + rand.next() * 0.25 : 0;
      if (b.outcome === 'cancelled') b.cancelledAt = b.startAt + Math.floor(durationMs / 3);
    }
    batches.push(b);
  }
  return batches;
}

/**
 * How a batch created through a simulator's API runs on the simulator clock: queued for
 * `queuedMs`, then `baseMs` plus `perItemMs` per item, every item succeeding.
 */
const CREATED_BATCH_TIMING = { queuedMs: 1_000, baseMs: 10_000, perItemMs: 20 } as const;

/** A batch a write creates at `now`, placed after the data set (`index`), as `CREATED_BATCH_TIMING` says. */
export function createdBatch(
  id: string,
  index: number,
  now: number,
  total: number,
  extra: Record<string, unknown>,
  outcome: SimOutcome = 'success',
): SimBatch {
  const t = CREATED_BATCH_TIMING;
  return {
    id,
    index,
    total,
    durationMs: t.baseMs + t.perItemMs * total,
    createdAt: now,
    startAt: now + t.queuedMs,
    failRate: 0,
    outcome,
    cancelledAt: null,
    pendingRecords: 0,
    pendingExpiresAt: null,
    extra,
  };
}
