/**
 * The health tracker's judgments (docs/live-progress.md, "Batch health"), reading by reading on a made-up clock:
 * the stall threshold, the slow window against the batch's own earlier rate, the hysteresis, and the seed from
 * the ledger's history.
 */
import { describe, expect, it } from 'vitest';
import type { BatchStatus } from '../../src/domain/batch.js';
import { HealthTracker, type HealthPolicy, type HealthSeed } from '../../src/live/health.js';

const POLICY: HealthPolicy = {
  stallAfterMs: 60_000,
  windowMs: 30_000,
  slowFraction: 0.25,
  minSamples: 4,
  recoverReadings: 3,
};

/** A reading of `processed` items at `at` seconds. */
const reading = (at: number, processed: number, status: BatchStatus = 'RUNNING') => ({
  status,
  progress: { total: 100_000, processed, succeeded: processed, failed: 0, pending: 0, percent: null },
  observedAt: new Date(at * 1000),
});

/** Feeds readings every `step` seconds from `from` to `to`, processed growing by `rate` a second. */
function run(t: HealthTracker, from: number, to: number, step: number, start: number, rate: number) {
  let processed = start;
  let last;
  for (let at = from; at <= to; at += step) {
    last = t.assess(reading(at, Math.floor(processed)), at * 1000);
    processed += rate * step;
  }
  return { verdict: last!, processed: Math.floor(processed - rate * step) };
}

describe('the health tracker', () => {
  it('says STALLED once a running batch has not moved for the stall threshold, and not a reading before', () => {
    const t = new HealthTracker(POLICY);
    run(t, 0, 20, 2, 0, 10);
    // Frozen at 200 items from 20 s on: not moving for a window already (SLOW: a rate of 0), STALLED from 80 s.
    expect(t.assess(reading(40, 200), 40_000).health).toBe('OK');
    expect(t.assess(reading(78, 200), 78_000).health).toBe('SLOW');
    const stalled = t.assess(reading(80, 200), 80_000);
    expect(stalled.health).toBe('STALLED');
    expect(stalled.healthSince).toEqual(new Date(80_000));
    expect(stalled.healthReason).toMatch(/no progress for 1 min .*at 200 items processed/);
  });

  it('is OK again only after the set number of consecutive good readings, with its own since', () => {
    const t = new HealthTracker(POLICY);
    run(t, 0, 20, 2, 0, 10);
    expect(t.assess(reading(90, 200), 90_000).health).toBe('STALLED');
    // It moves again: two good readings keep STALLED (hysteresis), the third says OK.
    expect(t.assess(reading(92, 210), 92_000).health).toBe('STALLED');
    expect(t.assess(reading(94, 230), 94_000).health).toBe('STALLED');
    const ok = t.assess(reading(96, 250), 96_000);
    expect(ok).toEqual({ health: 'OK', healthSince: new Date(96_000), healthReason: null });
    // The slow window starts after the stall: the stalled minute is not a slow rate.
    expect(run(t, 98, 140, 2, 270, 10).verdict.health).toBe('OK');
  });

  it('a bad reading in the middle of the recovery starts the count again', () => {
    const t = new HealthTracker(POLICY);
    run(t, 0, 20, 2, 0, 10);
    t.assess(reading(90, 200), 90_000);
    t.assess(reading(92, 210), 92_000);
    t.assess(reading(94, 220), 94_000);
    // Stalled again (no move for a minute), then two good readings are not enough.
    expect(t.assess(reading(160, 220), 160_000).health).toBe('STALLED');
    expect(t.assess(reading(162, 230), 162_000).health).toBe('STALLED');
    expect(t.assess(reading(164, 240), 164_000).health).toBe('STALLED');
    expect(t.assess(reading(166, 250), 166_000).health).toBe('OK');
  });

  it('says SLOW when the last window ran below a quarter of its earlier rate, with the figures', () => {
    const t = new HealthTracker(POLICY);
    const { processed } = run(t, 0, 60, 2, 0, 100);
    // 100 items/s for a minute, then 10/s: below 25 % once the window holds mostly the slow part.
    let verdict = run(t, 62, 80, 2, processed + 10, 10).verdict;
    expect(verdict.health).toBe('OK');
    verdict = run(t, 82, 92, 2, processed + 200, 10).verdict;
    expect(verdict.health).toBe('SLOW');
    expect(verdict.healthReason).toMatch(/^\d+(\.\d+)?\/s over the last 30 s, below 25 % of its earlier 100\/s$/);
  });

  it('does not judge SLOW without a whole watched window and a window of earlier history', () => {
    const t = new HealthTracker(POLICY);
    // Only 40 s of history, then nearly stopped: not enough earlier history to compare with.
    run(t, 0, 20, 2, 0, 100);
    expect(run(t, 22, 40, 2, 2010, 1).verdict.health).toBe('OK');
  });

  it('is OK for a batch that is not running, at once, whatever it was', () => {
    const t = new HealthTracker(POLICY);
    run(t, 0, 20, 2, 0, 10);
    expect(t.assess(reading(90, 200), 90_000).health).toBe('STALLED');
    expect(t.assess(reading(92, 200, 'FAILED'), 92_000)).toEqual({
      health: 'OK',
      healthSince: new Date(92_000),
      healthReason: null,
    });
    // Queued for ten minutes is not a stall either.
    const queued = new HealthTracker(POLICY);
    expect(queued.assess(reading(0, 0, 'QUEUED'), 0).health).toBe('OK');
    expect(queued.assess(reading(600, 0, 'QUEUED'), 600_000).health).toBe('OK');
    // It starts running: the stall clock starts then.
    expect(queued.assess(reading(602, 0), 602_000).health).toBe('OK');
    expect(queued.assess(reading(661, 0), 661_000).health).toBe('OK');
    expect(queued.assess(reading(662, 0), 662_000).health).toBe('STALLED');
  });

  it('counts one reading once, however many loops bring it', () => {
    const t = new HealthTracker(POLICY);
    run(t, 0, 20, 2, 0, 10);
    t.assess(reading(90, 200), 90_000);
    const r = reading(92, 210);
    // The same reading (a bulk walk's row) brought by three members: one good reading, not three.
    for (let i = 0; i < 3; i++) expect(t.assess(r, 92_000).health).toBe('STALLED');
    expect(t.assess(reading(94, 220), 94_000).health).toBe('STALLED');
    expect(t.assess(reading(96, 230), 96_000).health).toBe('OK');
  });

  it('starts from the stored history: a batch frozen since before its watch is STALLED at once', async () => {
    const seed: HealthSeed = {
      points: [
        { at: 0, processed: 0, status: 'RUNNING' },
        { at: 10_000, processed: 100, status: null },
        { at: 20_000, processed: 200, status: null },
      ],
    };
    const t = new HealthTracker(POLICY, Promise.resolve(seed));
    await t.ready;
    // Still 200 at 90 s: the same count 70 s apart means no progress in between.
    expect(t.assess(reading(90, 200), 90_000).health).toBe('STALLED');
    // Without the seed the first reading starts the clock.
    const fresh = new HealthTracker(POLICY);
    expect(fresh.assess(reading(90, 200), 90_000).health).toBe('OK');
  });

  it('keeps a stored verdict that is still current, so a restart does not reset the hysteresis', async () => {
    const last = { health: 'STALLED' as const, healthSince: new Date(80_000), healthReason: 'no progress' };
    const t = new HealthTracker(
      POLICY,
      Promise.resolve({ points: [{ at: 0, processed: 200, status: 'RUNNING' as const }], last }),
    );
    await t.ready;
    expect(t.assess(reading(100, 210), 100_000)).toEqual(last);
    expect(t.assess(reading(102, 220), 102_000)).toEqual(last);
    expect(t.assess(reading(104, 230), 104_000).health).toBe('OK');
  });

  it('judges from the readings alone when the history cannot be read', async () => {
    const t = new HealthTracker(POLICY, Promise.reject(new Error('ledger unreadable')));
    await t.ready;
    expect(t.assess(reading(0, 0), 0).health).toBe('OK');
    expect(t.assess(reading(60, 0), 60_000).health).toBe('STALLED');
  });

  it('restarts its history when the counts go down', () => {
    const t = new HealthTracker(POLICY);
    run(t, 0, 20, 2, 0, 10);
    // Counts restarted (a provider re-ran the batch): the stall clock starts again.
    expect(t.assess(reading(70, 5), 70_000).health).toBe('OK');
    expect(t.assess(reading(129, 5), 129_000).health).toBe('OK');
    expect(t.assess(reading(130, 5), 130_000).health).toBe('STALLED');
  });

  it("leaves out stored points from after its first reading (another replica's clock ahead of its own)", async () => {
    const seed: HealthSeed = {
      points: [
        { at: 0, processed: 0, status: 'RUNNING' },
        { at: 500_000, processed: 10, status: null },
      ],
      last: { health: 'STALLED', healthSince: new Date(400_000), healthReason: 'no progress' },
    };
    const t = new HealthTracker(POLICY, Promise.resolve(seed));
    await t.ready;
    // At 30 s: the point at 0 s counts (no move since: not yet a minute), the later point and verdict do not.
    expect(t.assess(reading(30, 0), 30_000).health).toBe('OK');
    expect(t.assess(reading(60, 0), 60_000).health).toBe('STALLED');
  });
});
