import { createRandom } from './clock.js';
import type { SimBatch } from './model.js';

/**
 * A recurring schedule of batches that makes a simulator's data a function of time for ever, so a demo
 * left running always has batches queued, running and finished (the seeded data set alone runs out of
 * running batches within about 13 minutes). Time is cut into slots of `periodMs` of the clock, counted from
 * the Unix epoch (slot `k` is `[k * periodMs, (k + 1) * periodMs)`); each slot holds one batch per simulator,
 * whose id, size, timing and outcome are drawn from the slot index alone, so any two simulators of a
 * provider agree on them, whatever their start or their seed (but for an id already taken, drawn again).
 */
export interface RollingOptions {
  /** A new batch every this many ms of the clock (integer >= 1). */
  periodMs: number;
  /** How long each stays queued, drawn uniformly (integer ms; `min >= periodMs`, so one is always queued). */
  queuedMs: { min: number; max: number };
  /**
   * How long each then runs, drawn uniformly (integer ms; `min >= queuedMs.max - queuedMs.min + periodMs`, so
   * one is always running).
   */
  runningMs: { min: number; max: number };
}

/** What one provider's simulator adds to the shared schedule. */
interface RollingSource {
  /**
   * Where in each period its batch is created, as a share of the period (0 <= phase < 1): the simulators
   * take different phases, so their batches are never created in the same millisecond.
   */
  phase: number;
  /** Mixed into each slot's draws, so the providers' batches differ. */
  salt: number;
  /** Items per batch at most (at least 50). */
  maxItems: number;
  /** A fresh id of the provider's form (drawn again while it is taken). */
  makeId(rand: ReturnType<typeof createRandom>, slot: number): string;
  /** The provider's extras (`SimBatch.extra`) of a slot's batch. */
  extra(rand: ReturnType<typeof createRandom>, slot: number): Record<string, unknown>;
}

/** The rolling batches of one simulator, appended to its `batches` as the clock reaches their creation. */
interface RollingBatches {
  /**
   * Appends the batch of every slot created (in the clock) up to `now` that is not there yet, oldest first.
   * Simulators call it before every request and every control read, so a batch appears exactly when it is
   * created and stays (for reads by id) however far the clock moves; nothing runs between calls.
   */
  catchUp(now: number): void;
}

const isRange = (r: { min: number; max: number }) =>
  Number.isInteger(r.min) && Number.isInteger(r.max) && r.min >= 0 && r.max >= r.min;

/**
 * Starts a simulator's rolling batches at `now`: the slots whose batch may still be queued or running are
 * created at once (so the schedule is in its steady state from the start, some of them already finished),
 * later ones as the clock reaches them. Refuses options that cannot keep one batch queued and one running at
 * every instant.
 */
export function createRolling(
  batches: SimBatch[],
  now: number,
  o: RollingOptions,
  source: RollingSource,
): RollingBatches {
  const { periodMs, queuedMs, runningMs } = o;
  if (!Number.isInteger(periodMs) || periodMs < 1 || !isRange(queuedMs) || !isRange(runningMs) || runningMs.min < 1)
    throw new RangeError(`rolling: integer periodMs >= 1 and ranges min <= max: ${JSON.stringify(o)}`);
  // At any instant t the batch created last is under periodMs old, so still queued; the one created about
  // queuedMs.max before t has started, and has not finished if it runs at least this long.
  if (queuedMs.min < periodMs || runningMs.min < queuedMs.max - queuedMs.min + periodMs)
    throw new RangeError(
      'rolling: queuedMs.min >= periodMs and runningMs.min >= queuedMs.max - queuedMs.min + periodMs: ' +
        JSON.stringify(o),
    );
  if (!(source.phase >= 0 && source.phase < 1)) throw new RangeError(`rolling: phase in [0, 1): ${source.phase}`);
  const offset = Math.floor(periodMs * source.phase);
  const taken = new Set<string>();
  let seen = 0;
  // The oldest slot whose batch may be unfinished at `now`, and the one before it (finished at the start).
  let next = Math.floor((now - queuedMs.max - runningMs.max) / periodMs) - 1;

  function batchOf(slot: number): SimBatch {
    // One seed per slot and provider: the same slot always draws the same batch.
    const rand = createRandom(Math.imul(slot, 0x9e3779b1) ^ source.salt);
    let id = source.makeId(rand, slot);
    while (taken.has(id)) id = source.makeId(rand, slot);
    const createdAt = slot * periodMs + offset;
    const total = rand.int(50, Math.max(50, source.maxItems));
    const startAt = createdAt + rand.int(queuedMs.min, queuedMs.max);
    const durationMs = rand.int(runningMs.min, runningMs.max);
    // One in four finishes with failed items (5 to 20 % of them); the rest succeed.
    const partial = rand.next() < 0.25;
    const failRate = partial ? 0.05 + rand.next() * 0.15 : 0;
    const b: SimBatch = {
      id,
      // Far above a data set's indexes (the slot is about 29 million a minute's period): the items a batch's
      // index derives (failing ones, names, external ids) differ from the seeded batches'.
      index: slot,
      total,
      durationMs,
      createdAt,
      startAt,
      failRate,
      outcome: partial ? 'partial' : 'success',
      cancelledAt: null,
      pendingRecords: 0,
      pendingExpiresAt: null,
      extra: {},
    };
    b.extra = source.extra(rand, slot);
    return b;
  }

  const rolling: RollingBatches = {
    catchUp(t) {
      if (next * periodMs + offset > t) return;
      // Ids taken since the last call (the data set, writes), so a rolling id never repeats one.
      for (const b of batches.slice(seen)) taken.add(b.id);
      for (; next * periodMs + offset <= t; next++) {
        const b = batchOf(next);
        taken.add(b.id);
        batches.push(b);
      }
      seen = batches.length;
    },
  };
  rolling.catchUp(now);
  return rolling;
}
