import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { bearer, JWT_TEST_ENV } from '../helpers/auth.js';

/**
 * With `AUTH_MODE=jwt`, writes need `JWT_WRITE_SCOPE` (from `scope` or `scp`); Reach writes go to the token's
 * tenant.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ seed: 17, batchCount: 20, env: JWT_TEST_ENV });
});
afterAll(() => h?.close());
beforeEach(() => h.resetCounters());

const REACH = `mutation($key: String) {
  submitReachResources(idempotencyKey: $key, input: { schema: "contacts", resources: [{ externalId: "a" }] }) {
    batch { providerBatchId } userErrors { code }
  }
}`;
const auth = async (o: Parameters<typeof bearer>[0]) => ({ authorization: await bearer(o) });

describe('the write scope', () => {
  it('refuses a write without the scope with FORBIDDEN and makes no upstream call; reads stay open', async () => {
    const headers = await auth({ scope: 'batches:read' });
    const write = await h.gql(REACH, {}, headers);
    const cancel = await h.gql(`mutation { cancelBatch(id: "whatever") { userErrors { code } } }`, {}, headers);
    for (const r of [write, cancel]) {
      expect(r.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
      expect(r.errors?.[0]?.message).toContain('"batches:write"');
    }
    for (const sim of h.sims.all()) expect(sim.control.totalRequests()).toBe(0);
    const read = await h.gql(`{ providers { provider configured } }`, {}, headers);
    expect(read.errors).toBeUndefined();
  });

  it('accepts the scope from `scope` or from `scp`, and writes for the tenant of the token', async () => {
    const fromScope = await h.gql(REACH, {}, await auth({ tenant: 'tenant-b', scope: 'batches:read batches:write' }));
    const fromScp = await h.gql(REACH, {}, await auth({ tenant: 'tenant-a', scp: ['batches:write'] }));
    expect(fromScope.data.submitReachResources.batch).not.toBeNull();
    expect(fromScp.data.submitReachResources.batch).not.toBeNull();
    const tenants = h.sims.reach.control
      .created()
      .slice(-2)
      .map((c) => c.detail.tenant);
    // The gateway's own REACH_TENANT_ID is tenant-a: the token's claim wins, never a default or client input.
    expect(tenants).toEqual(['tenant-b', 'tenant-a']);
  });

  it('keeps idempotency keys per client: two subjects may use the same key', async () => {
    const before = h.sims.reach.control.created().length;
    const a = await h.gql(REACH, { key: 'k-1' }, await auth({ subject: 'alice', scope: 'batches:write' }));
    const b = await h.gql(REACH, { key: 'k-1' }, await auth({ subject: 'bob', scope: 'batches:write' }));
    const ids = [a, b].map((r) => r.data.submitReachResources.batch.providerBatchId);
    expect(new Set(ids).size).toBe(2);
    expect(h.sims.reach.control.created().length - before).toBe(2);
  });
});
