import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayRedis, type GatewayRedis } from '../../src/redis/connection.js';
import { createIdempotencyStore } from '../../src/writes/create-store.js';
import type { IdempotencyStore } from '../../src/writes/idempotency-store.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { storeOptions } from '../helpers/config.js';

/**
 * The Redis store on a real Redis: per-client caps that never evict another client's key, a claim whose
 * holder's lease lapsed reading as unknown (never free), one holder at a time, and one marker secret for
 * every replica.
 */
let redis: TestRedis;
const stores: IdempotencyStore[] = [];
const connections: GatewayRedis[] = [];
const at = { since: 1_000, deadlineAt: 2_000 };
let prefix = '';

beforeAll(async () => {
  redis = await startRedis();
  prefix = `batchql-keys-${process.pid}-${Date.now()}:`;
});
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await Promise.all(connections.map((c) => c.close()));
  await redis?.close();
});

/** A store as one replica has it, on that replica's own Redis connection. */
function replica(o: { perClient?: number; leaseMs?: number } = {}): IdempotencyStore {
  const connection = createGatewayRedis({
    url: redis.url,
    keyPrefix: prefix,
    instanceId: `keys-${connections.length}`,
  });
  connections.push(connection);
  const store = createIdempotencyStore({ ...storeOptions(), redis: connection, waitMs: 3_000, ...o });
  stores.push(store);
  return store;
}

describe('idempotency keys in Redis', () => {
  it("refuses a client's new key at its cap, and keeps every other client's key", async () => {
    const a = replica({ perClient: 2 });
    expect(await a.begin('victim', 'cap-v', 'f', at)).toEqual({ kind: 'run' });
    await a.finish('victim', 'cap-v', 'f', { kind: 'result', value: 'kept' });
    expect(await a.begin('flood', 'cap-1', 'f', at)).toEqual({ kind: 'run' });
    expect(await a.begin('flood', 'cap-2', 'f', at)).toEqual({ kind: 'run' });
    expect(await a.begin('flood', 'cap-3', 'f', at)).toEqual({ kind: 'limit', cap: 2 });
    await a.abandon('flood', 'cap-1');
    expect(await a.begin('flood', 'cap-3', 'f', at)).toEqual({ kind: 'run' });
    expect(await a.begin('victim', 'cap-v', 'f', at)).toEqual({
      kind: 'replay',
      outcome: { kind: 'result', value: 'kept' },
    });
    expect(await a.begin('victim', 'cap-v', 'other', at)).toEqual({ kind: 'conflict' });
  });

  it('reads a key whose holder died as unknown once its lease lapses, and hands it to one caller', async () => {
    const dying = replica({ leaseMs: 300 });
    const other = replica({ leaseMs: 300 });
    expect(await dying.begin('c', 'lapse', 'f', at)).toEqual({ kind: 'run' });
    // The holder is gone without a word: no renewal, no finish.
    await dying.close();
    const started = Date.now();
    const answers = await Promise.all(
      [1, 2].map(() => other.begin('c', 'lapse', 'f', { since: 5, deadlineAt: 6 }).catch((e: Error) => e)),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    // One caller holds it, with the dead holder's attempt; the other waits behind it (it never settles here)
    // and gives up with OUTCOME_UNKNOWN: neither is told the key is free.
    expect(answers.filter((d) => !(d instanceof Error))).toEqual([{ kind: 'unknown', attempt: at }]);
    expect(answers.filter((d) => d instanceof Error).map((e) => (e as { code?: string }).code)).toEqual([
      'OUTCOME_UNKNOWN',
    ]);
  });

  it('settles an unknown key for the next caller: finish replays, unknown hands it on again', async () => {
    const a = replica();
    await a.begin('c', 'settle', 'f', at);
    await a.unknown('c', 'settle', 'f', { since: 10, deadlineAt: 20 });
    expect(await a.begin('c', 'settle', 'f', at)).toEqual({ kind: 'unknown', attempt: { since: 10, deadlineAt: 20 } });
    await a.finish('c', 'settle', 'f', { kind: 'result', value: 'found' });
    expect(await a.begin('c', 'settle', 'f', at)).toEqual({
      kind: 'replay',
      outcome: { kind: 'result', value: 'found' },
    });
  });

  it('gives every replica the same marker secret', async () => {
    const [a, b] = [replica(), replica()];
    const [sa, sb] = await Promise.all([a.markerSecret(), b.markerSecret()]);
    expect(sa).toBe(sb);
    expect(sa.length).toBeGreaterThanOrEqual(32);
  });
});
