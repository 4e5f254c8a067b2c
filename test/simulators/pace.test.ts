import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createManualClock,
  startSimulators,
  type ManualClock,
  type Simulators,
} from '../../src/dev/simulators/index.js';
import {
  plannedEnd,
  progressTimeAt,
  setPace,
  stateAt,
  timeOfProgress,
  type SimBatch,
} from '../../src/dev/simulators/model.js';

/**
 * A batch's pace (`POST /__sim/pace`, `control.setPace`): batch health tests freeze a running batch (STALLED) or
 * slow it (SLOW). Its progress follows the integral of its pace factor, without a jump when the pace changes.
 */
const START = Date.parse('2026-11-01T12:00:00Z');

/** A batch of 1,000 items running from START for 100 s (an item every 100 ms), none failing. */
const batch = (over: Partial<SimBatch> = {}): SimBatch => ({
  id: 'b1',
  index: 0,
  createdAt: START - 1_000,
  startAt: START,
  durationMs: 100_000,
  total: 1_000,
  failRate: 0,
  outcome: 'success',
  cancelledAt: null,
  pendingRecords: 0,
  pendingExpiresAt: null,
  extra: {},
  ...over,
});

describe('pace in the model', () => {
  it('freezes a running batch: RUNNING with unchanged counts, never finishing', () => {
    const b = batch({ failRate: 0.1 });
    setPace(b, START + 30_000, 0);
    const frozen = stateAt(b, START + 30_000);
    expect(frozen).toMatchObject({ phase: 'running', processed: 300, completedAt: null });
    for (const later of [START + 30_001, START + 100_000, START + 10 * 86_400_000])
      expect(stateAt(b, later)).toEqual(frozen);
    expect(plannedEnd(b)).toBe(Number.POSITIVE_INFINITY);
  });

  it('unfreezes from the same count, and finishes as late as it was frozen', () => {
    const b = batch();
    setPace(b, START + 30_000, 0);
    setPace(b, START + 90_000, 1);
    expect(stateAt(b, START + 90_000).processed).toBe(300);
    expect(stateAt(b, START + 90_100).processed).toBe(301);
    expect(stateAt(b, START + 159_999)).toMatchObject({ phase: 'running', processed: 999 });
    expect(stateAt(b, START + 160_000)).toMatchObject({
      phase: 'done',
      processed: 1_000,
      completedAt: START + 160_000,
    });
  });

  it('slows a batch to its factor without a jump, and moves its completedAt', () => {
    const b = batch();
    setPace(b, START + 50_000, 0.1);
    expect(stateAt(b, START + 50_000).processed).toBe(500);
    // Ten times slower: an item a second instead of ten.
    expect(stateAt(b, START + 51_000).processed).toBe(501);
    expect(stateAt(b, START + 60_000).processed).toBe(510);
    // The other 50 s of work take 500 s.
    expect(plannedEnd(b)).toBe(START + 550_000);
    expect(stateAt(b, START + 549_999).phase).toBe('running');
    expect(stateAt(b, START + 550_000)).toMatchObject({ phase: 'done', completedAt: START + 550_000 });
    // Faster too: twice the pace from 60 s on, the 49 s of work left take 24.5 s.
    setPace(b, START + 60_000, 2);
    expect(stateAt(b, START + 60_000).processed).toBe(510);
    expect(stateAt(b, START + 61_000).processed).toBe(530);
    expect(plannedEnd(b)).toBe(START + 84_500);
  });

  it('keeps progress continuous and its inverse exact over several changes', () => {
    const b = batch();
    setPace(b, START + 10_000, 0.5);
    setPace(b, START + 20_000, 0);
    setPace(b, START + 40_000, 3);
    const at = [0, 10_000, 15_000, 20_000, 30_000, 40_000, 41_000].map((ms) => progressTimeAt(b, START + ms) - START);
    expect(at).toEqual([0, 10_000, 12_500, 15_000, 15_000, 15_000, 18_000]);
    for (const ms of [5_000, 12_500, 18_000, 99_000])
      expect(progressTimeAt(b, timeOfProgress(b, START + ms))).toBeCloseTo(START + ms, 3);
    // A change replaces the later ones: the pace is set from then on.
    setPace(b, START + 15_000, 1);
    expect(b.pace).toEqual([
      { at: START + 10_000, factor: 0.5 },
      { at: START + 15_000, factor: 1 },
    ]);
    // Back to normal with no change before: the batch is as it was never paced.
    setPace(b, START + 10_000, 1);
    expect(b.pace).toBeUndefined();
    expect(() => setPace(b, START, -1)).toThrow(RangeError);
    expect(() => setPace(b, START, Number.NaN)).toThrow(RangeError);
  });

  it('leaves the queued phase, cancels, failures and pending records working', () => {
    // Paced while queued: it starts on time, at that pace.
    const queued = batch();
    setPace(queued, START - 500, 0);
    expect(stateAt(queued, START - 1).phase).toBe('queued');
    expect(stateAt(queued, START + 5_000)).toMatchObject({ phase: 'running', processed: 0, startedAt: START });

    // Cancelled while frozen: cancelled at the count it was frozen at.
    const cancelled = batch({ cancelledAt: START + 60_000 });
    setPace(cancelled, START + 20_000, 0);
    expect(stateAt(cancelled, START + 70_000)).toMatchObject({
      phase: 'cancelled',
      processed: 200,
      completedAt: START + 60_000,
    });

    // Failing items are counted on the paced progress.
    const failing = batch({ failRate: 0.1 });
    const unpaced = stateAt(failing, START + 40_000);
    setPace(failing, START + 40_000, 0.25);
    const s = stateAt(failing, START + 80_000);
    expect(s.processed).toBe(500);
    expect(s.failed).toBe(stateAt(batch({ failRate: 0.1 }), START + 50_000).failed);
    expect(s.failed).toBeGreaterThan(unpaced.failed);

    // Reach's pending records wait once the rest is done, slowed or not, and still expire.
    const pending = batch({ total: 110, pendingRecords: 10, pendingExpiresAt: START + 400_000 });
    setPace(pending, START + 50_000, 0.5);
    expect(stateAt(pending, START + 149_999)).toMatchObject({ phase: 'running', pending: 0 });
    expect(stateAt(pending, START + 150_000)).toMatchObject({ phase: 'done', processed: 110, pending: 10 });
    expect(stateAt(pending, START + 400_000)).toMatchObject({ pending: 0, failed: 10 });

    // A failed validation fails at its start whatever the pace.
    const invalid = batch({ outcome: 'failedValidation' });
    setPace(invalid, START - 100, 0);
    expect(stateAt(invalid, START + 1_000)).toMatchObject({ phase: 'failed', completedAt: START + 500 });
  });
});

describe('pace over HTTP on every simulator', () => {
  let clock: ManualClock;
  let sims: Simulators;

  beforeAll(async () => {
    clock = createManualClock(START);
    sims = await startSimulators({ clock, seed: 5, batchCount: 100, profile: 'longRunning' });
  });
  afterAll(() => sims.close());

  /** How each simulator's API shows a batch's processed count and status word. */
  const readers = {
    reach: async (id: string) => {
      const res = await fetch(`${sims.reach.url}/api/batches/${id}`, {
        headers: {
          authorization: `Bearer ${sims.credentials.reach.token}`,
          'reach-tenant-id': sims.credentials.reach.tenantId,
        },
      });
      const body = (await res.json()) as any;
      return { processed: body.data.progress.processedRecords as number, status: body.data.status as string };
    },
    gameball: async (id: string) => {
      const res = await fetch(`${sims.gameball.url}/api/v4.0/integrations/batches/${id}/status`, {
        headers: { apikey: sims.credentials.gameball.apiKey, secretkey: sims.credentials.gameball.secretKey },
      });
      const body = (await res.json()) as any;
      return { processed: body.processedItems as number, status: body.status as string };
    },
    factCheck: async (id: string) => {
      const res = await fetch(`${sims.factCheck.url}/v1/batch/${id}`, {
        headers: { authorization: `Bearer ${sims.credentials.factCheck.apiKey}` },
      });
      const body = (await res.json()) as any;
      return { processed: body.processedItems as number, status: body.status as string };
    },
  };
  const pace = (key: keyof typeof readers, init: { method: string; body?: string }) =>
    fetch(`${sims[key].url}/__sim/pace`, { ...init, headers: { 'content-type': 'application/json' } });

  for (const key of ['reach', 'gameball', 'factCheck'] as const) {
    it(`${key}: a frozen batch's counts stay put between reads, and move again once the pace is reset`, async () => {
      // Each simulator's test starts over: a batch running at START runs at least 270 s more (longRunning).
      clock.set(START);
      const control = sims[key].control;
      const id = control.idsByState().running![0]!;
      clock.advance(20_000);
      const before = await readers[key](id);
      expect((await pace(key, { method: 'POST', body: JSON.stringify({ id, factor: 0 }) })).status).toBe(204);

      const first = await readers[key](id);
      clock.advance(60_000);
      const second = await readers[key](id);
      expect(second).toEqual(first);
      expect(first).toEqual(before);
      expect(control.idsByState().running).toContain(id);
      // Frozen, its next item never comes.
      expect(control.changedAt(id, second.processed + 1)).toBeNull();

      expect((await pace(key, { method: 'DELETE' })).status).toBe(204);
      // From now on it is a minute late: its next item comes then (at most 180 s later: 5 items in 15 min).
      const next = control.changedAt(id, second.processed + 1)!;
      expect(next).toBeGreaterThan(clock.now());
      expect(next).toBeLessThanOrEqual(clock.now() + 180_000);
      clock.set(next);
      const after = await readers[key](id);
      expect(after.processed).toBeGreaterThan(second.processed);
      expect(after.status).toBe(second.status);
    });
  }

  it('factCheck: a slowed batch finishes later, its completedAt and its items too, as changedAt says', async () => {
    clock.set(START);
    const control = sims.factCheck.control;
    // Not the batch the freeze test paced (its end is a minute late).
    const id = control.idsByState().running![1]!;
    const normalEnd = control.changedAt(id, Number.MAX_SAFE_INTEGER)!;
    clock.advance(10_000);
    expect((await pace('factCheck', { method: 'POST', body: JSON.stringify({ id, factor: 0.5 }) })).status).toBe(204);
    // Half the pace: what was left from START + 10 s takes twice as long.
    const end = control.changedAt(id, Number.MAX_SAFE_INTEGER)!;
    expect(end).toBe(START + 10_000 + 2 * (normalEnd - START - 10_000));
    clock.set(normalEnd);
    expect((await readers.factCheck(id)).status).toBe('processing');
    clock.set(end);
    const res = await fetch(`${sims.factCheck.url}/v1/batch/${id}/results?limit=100`, {
      headers: { authorization: `Bearer ${sims.credentials.factCheck.apiKey}` },
    });
    const { batch: done, items } = (await res.json()) as any;
    expect(done.status).toBe('completed');
    const read = await fetch(`${sims.factCheck.url}/v1/batch/${id}`, {
      headers: { authorization: `Bearer ${sims.credentials.factCheck.apiKey}` },
    });
    expect(Date.parse(((await read.json()) as any).completedAt)).toBe(end);
    const times = items.map((i: { completedAt: string }) => Date.parse(i.completedAt));
    expect(times.every((t: number, i: number) => t <= end && (i === 0 || t >= times[i - 1]))).toBe(true);
    sims.factCheck.control.resetPace();
  });

  it('answers 404 for an unknown id and 400 for a bad body, in code as over HTTP', async () => {
    clock.set(START);
    const post = (body: string) => pace('factCheck', { method: 'POST', body });
    expect((await post(JSON.stringify({ id: 'batch_000000000000', factor: 0 }))).status).toBe(404);
    for (const bad of [{ id: 'x' }, { factor: 0 }, { id: 'x', factor: -1 }, { id: 'x', factor: '0' }, null])
      expect((await post(JSON.stringify(bad))).status, JSON.stringify(bad)).toBe(400);
    expect((await post('{"id":')).status).toBe(400);
    expect(sims.gameball.control.setPace('0', 0)).toBe(false);
    const id = sims.gameball.control.idsByState().running![0]!;
    expect(() => sims.gameball.control.setPace(id, -1)).toThrow(RangeError);
    expect(sims.gameball.control.setPace(id, 0.5)).toBe(true);
    sims.gameball.control.resetPace();
  });
});
