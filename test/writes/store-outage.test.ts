import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { startLocalRedis, type LocalRedis } from '../helpers/redis.js';

/**
 * While Redis (the shared idempotency store) is unreachable, a write with a key is refused with
 * IDEMPOTENCY_STORE_UNAVAILABLE rather than risk a double submit; a write without a key still goes through.
 */
let redis: LocalRedis;
let h: Harness;
beforeAll(async () => {
  redis = await startLocalRedis();
  h = await startHarness({
    seed: 23,
    batchCount: 20,
    // No background watch: the batch the first test submits would otherwise be read in the background (issue 32),
    // and such a read could land in the second test's count of upstream calls, which must be the write's alone.
    env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: `batchql-outage-${process.pid}:`, WATCH_BACKGROUND_MAX: '0' },
  });
}, 30_000);
afterAll(async () => {
  await h?.close();
  await redis?.stop();
});

const SUBMIT = `mutation($key: String) {
  submitFactCheckBatch(idempotencyKey: $key, input: { items: [{ content: "A claim." }] }) {
    batch { providerBatchId } userErrors { code }
  }
}`;

describe('the idempotency store on Redis', () => {
  it('remembers a key while Redis is up', async () => {
    const first = await h.gql(SUBMIT, { key: 'k-up' });
    const again = await h.gql(SUBMIT, { key: 'k-up' });
    expect(again.data.submitFactCheckBatch.batch.providerBatchId).toBe(
      first.data.submitFactCheckBatch.batch.providerBatchId,
    );
  });

  it('refuses a keyed write while Redis is down, before any upstream call; an unkeyed one goes through', async () => {
    await redis.stop();
    h.resetCounters();
    const keyed = await h.gql(SUBMIT, { key: 'k-down' });
    expect(keyed.errors?.map((e) => e.extensions?.code)).toEqual(['IDEMPOTENCY_STORE_UNAVAILABLE']);
    expect(h.sims.factCheck.control.totalRequests()).toBe(0);
    const unkeyed = await h.gql(SUBMIT, {});
    expect(unkeyed.errors).toBeUndefined();
    expect(unkeyed.data.submitFactCheckBatch.batch.providerBatchId).toBe(h.sims.factCheck.control.created().at(-1)!.id);
  }, 20_000);
});
