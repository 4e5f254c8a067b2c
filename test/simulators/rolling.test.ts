/**
 * Rolling batches (`createRolling`, `DEMO_SIMULATORS.rolling`): the demo's simulators keep batches queued,
 * running and finished on every provider however far their clock moves, read by id and listed newest first;
 * the seeded data beside them stays exactly as it is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SIMULATORS, liveBatch } from '../../src/dev/demo-examples.js';
import {
  createManualClock,
  startSimulators,
  type ManualClock,
  type Simulators,
} from '../../src/dev/simulators/index.js';
import { createRolling } from '../../src/dev/simulators/rolling.js';

const START = Date.parse('2026-11-01T12:00:00Z');
const MINUTE = 60_000;
const KEYS = ['reach', 'gameball', 'factCheck'] as const;
type Key = (typeof KEYS)[number];

let clock: ManualClock;
let sims: Simulators;
beforeAll(async () => {
  clock = createManualClock(START);
  sims = await startSimulators({ ...DEMO_SIMULATORS, clock });
});
afterAll(() => sims?.close());

/** One batch read by id over HTTP, as the gateway reads it: its JSON, or the HTTP status when not 200. */
async function read(s: Simulators, key: Key, id: string): Promise<unknown> {
  const { url } = s[key];
  const [path, headers]: [string, Record<string, string>] =
    key === 'reach'
      ? [
          `/api/batches/${id}`,
          { authorization: `Bearer ${s.credentials.reach.token}`, 'reach-tenant-id': s.credentials.reach.tenantId },
        ]
      : key === 'gameball'
        ? [
            `/api/v4.0/integrations/batches/${id}/status`,
            { apikey: s.credentials.gameball.apiKey, secretkey: s.credentials.gameball.secretKey },
          ]
        : [`/v1/batch/${id}`, { authorization: `Bearer ${s.credentials.factCheck.apiKey}` }];
  const res = await fetch(`${url}${path}`, { headers });
  return res.status === 200 ? await res.json() : `HTTP ${res.status}`;
}

/** A batch's status word read by id over HTTP, or the HTTP status when not 200. */
async function statusOf(s: Simulators, key: Key, id: string): Promise<string> {
  const body = (await read(s, key, id)) as string | { status?: string; data?: { status: string } };
  return typeof body === 'string' ? body : (body.data?.status ?? body.status!);
}

/** The status words of a queued and of a running batch (Reach has no word for queued). */
const QUEUED: Record<Key, string> = { reach: 'processing', gameball: 'pending', factCheck: 'pending' };

/** A provider's list, newest first, as `{id, createdAt}` (Gameball cannot list). */
async function newest(s: Simulators, key: 'reach' | 'factCheck', limit = 100) {
  if (key === 'factCheck') {
    const res = await fetch(`${s.factCheck.url}/v1/batch?limit=${limit}`, {
      headers: { authorization: `Bearer ${s.credentials.factCheck.apiKey}` },
    });
    const rows = ((await res.json()) as { data: { id: string; createdAt: string }[] }).data;
    return rows.map((r) => ({ id: r.id, createdAt: Date.parse(r.createdAt) }));
  }
  const res = await fetch(`${s.reach.url}/api/batches?limit=${limit}`, {
    headers: { authorization: `Bearer ${s.credentials.reach.token}`, 'reach-tenant-id': s.credentials.reach.tenantId },
  });
  const rows = ((await res.json()) as { data: { results: { batchId: string; createdAt: string }[] } }).data.results;
  return rows.map((r) => ({ id: r.batchId, createdAt: Date.parse(r.createdAt) }));
}

describe("the demo's simulators", () => {
  it.each([
    ['at the start', 0],
    ['30 minutes later', 30 * MINUTE],
    ['24 hours later', 24 * 60 * MINUTE],
  ])('have batches queued, running and finished on every provider %s', async (_, offset) => {
    clock.set(START + offset);
    for (const key of KEYS) {
      const states = sims[key].control.idsByState();
      expect(states.queued!.length, `${key} queued`).toBeGreaterThan(0);
      expect(states.running!.length, `${key} running`).toBeGreaterThan(0);
      expect(states.done!.length + states.partial!.length, `${key} finished`).toBeGreaterThan(0);
      // Over HTTP, as the gateway sees them.
      expect(await statusOf(sims, key, states.queued![0]!), `${key} queued`).toBe(QUEUED[key]);
      expect(await statusOf(sims, key, states.running![0]!), `${key} running`).toBe('processing');
    }
  });

  it('never run dry: one batch queued and one running on every provider at every instant of an hour', () => {
    // An hour a day later, in steps that fall at every phase of the one-minute period.
    const from = START + 24 * 60 * MINUTE + 7_000;
    for (let t = from; t < from + 60 * MINUTE; t += 37_000) {
      clock.set(t);
      for (const key of KEYS) {
        const states = sims[key].control.idsByState();
        expect(states.queued!.length, `${key} queued at +${t - START} ms`).toBeGreaterThan(0);
        expect(states.running!.length, `${key} running at +${t - START} ms`).toBeGreaterThan(0);
      }
    }
  });

  it('read by id any rolling batch they have reached, however long ago', async () => {
    const fresh = await startSimulators({ ...DEMO_SIMULATORS, clock: createManualClock(START) });
    const freshClock = fresh.factCheck.control.clock as ManualClock;
    try {
      // 30 minutes in, every seeded queued batch has started: the queued ones are rolling batches.
      freshClock.advance(30 * MINUTE);
      const early = Object.fromEntries(KEYS.map((key) => [key, fresh[key].control.idsByState().queued!]));
      freshClock.advance(24 * 60 * MINUTE);
      for (const key of KEYS) {
        expect(early[key]!.length, key).toBeGreaterThan(0);
        for (const id of early[key]!)
          expect(await statusOf(fresh, key, id), `${key} ${id}`).toMatch(/success|completed/);
      }
    } finally {
      await fresh.close();
    }
  });

  it('list them newest first, the same order from one minute to the next', async () => {
    const fresh = await startSimulators({ ...DEMO_SIMULATORS, clock: createManualClock(START) });
    const freshClock = fresh.factCheck.control.clock as ManualClock;
    try {
      freshClock.set(START + 3 * 60 * MINUTE);
      for (const key of ['reach', 'factCheck'] as const) {
        const before = await newest(fresh, key);
        freshClock.advance(5 * MINUTE);
        const after = await newest(fresh, key);
        for (const rows of [before, after])
          for (let i = 1; i < rows.length; i++)
            expect(rows[i - 1]!.createdAt, key).toBeGreaterThanOrEqual(rows[i]!.createdAt);
        // Five minutes on: five new batches on top, created in those minutes, then the same rows in the same order.
        const added = after.findIndex((r) => r.id === before[0]!.id);
        expect(added, key).toBe(5);
        expect(
          after.slice(0, added).every((r) => r.createdAt > before[0]!.createdAt),
          key,
        ).toBe(true);
        expect(after[0]!.createdAt, key).toBeLessThanOrEqual(freshClock.now());
        expect(after.slice(added), key).toEqual(before.slice(0, before.length - added));
      }
    } finally {
      await fresh.close();
    }
  });

  it('follow a running Check batch with minutes left in their live examples, a day on too', async () => {
    const fresh = await startSimulators({ ...DEMO_SIMULATORS, clock: createManualClock(START) });
    const { control } = fresh.factCheck;
    try {
      for (const at of [START + 10_000, START + 24 * 60 * MINUTE]) {
        (control.clock as ManualClock).set(at);
        const live = liveBatch(fresh.factCheck);
        const running = control.idsByState().running!;
        expect(running, String(at)).toContain(live.id);
        // Three minutes left at least, when any running batch has them.
        const latest = Math.max(...running.map((id) => control.changedAt(id, Number.MAX_SAFE_INTEGER)!));
        expect(live.endsAt - at).toBeGreaterThanOrEqual(Math.min(3 * MINUTE, latest - at));
        expect(live.endsAt).toBeGreaterThan(at);
      }
    } finally {
      await fresh.close();
    }
  });
});

describe('rolling batches', () => {
  it('draw the same batches for a slot, whatever the start or the seed', async () => {
    const at = START + 10 * MINUTE;
    const earlier = await startSimulators({ ...DEMO_SIMULATORS, clock: createManualClock(START) });
    const later = await startSimulators({ ...DEMO_SIMULATORS, seed: 2, clock: createManualClock(at) });
    try {
      (earlier.factCheck.control.clock as ManualClock).set(at);
      for (const key of KEYS) {
        // Ten minutes in, every seeded queued batch has started: the queued ones are rolling batches.
        const ids = earlier[key].control.idsByState().queued!;
        expect(ids.length, key).toBeGreaterThan(0);
        expect(later[key].control.idsByState().queued, key).toEqual(expect.arrayContaining(ids));
        for (const id of ids) expect(await read(later, key, id), `${key} ${id}`).toEqual(await read(earlier, key, id));
      }
    } finally {
      await Promise.all([later.close(), earlier.close()]);
    }
  });

  it('leave the seeded data as it is, and are off unless asked for', async () => {
    const plain = await startSimulators({ ...DEMO_SIMULATORS, rolling: undefined, clock: createManualClock(START) });
    const rolling = await startSimulators({ ...DEMO_SIMULATORS, clock: createManualClock(START) });
    try {
      for (const key of KEYS) {
        const seeded = plain[key].control.idsByState();
        const all = rolling[key].control.idsByState();
        const known = new Set(Object.values(seeded).flat());
        const withRolling = Object.fromEntries(
          Object.entries(all).map(([s, ids]) => [s, ids.filter((id) => known.has(id))]),
        );
        expect(withRolling, key).toEqual(seeded);
        // Rolling batches on top: more batches than the seeded ones.
        expect(Object.values(all).flat().length, key).toBeGreaterThan(known.size);
      }
    } finally {
      await Promise.all([plain.close(), rolling.close()]);
    }
  });

  it('refuse a schedule that could leave no batch queued or none running', () => {
    const source = { phase: 0, salt: 1, maxItems: 100, makeId: () => 'x', extra: () => ({}) };
    const ok = { periodMs: 60_000, queuedMs: { min: 60_000, max: 150_000 }, runningMs: { min: 150_000, max: 300_000 } };
    expect(() => createRolling([], START, ok, { ...source, makeId: (r) => r.hex(8) })).not.toThrow();
    expect(() => createRolling([], START, { ...ok, queuedMs: { min: 59_999, max: 150_000 } }, source)).toThrow(
      RangeError,
    );
    expect(() => createRolling([], START, { ...ok, runningMs: { min: 149_999, max: 300_000 } }, source)).toThrow(
      RangeError,
    );
  });
});
