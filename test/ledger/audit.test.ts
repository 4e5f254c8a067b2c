/**
 * The ledger with JWTs (issue 29): one audit entry per mutation with its subject, tenant and outcome (a replay
 * and refusals included), the operator scope, ledger rows listed to the tenant that saw them only, a foreign
 * tenant's id answered as a missing one, and `CANCEL_OWN_BATCHES_ONLY`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { bearer, JWT_TEST_ENV } from '../helpers/auth.js';
import { startHarness } from '../helpers/harness.js';
import { closeLedgerStores, LEDGER_STORES } from '../helpers/ledger-stores.js';

let h: Awaited<ReturnType<typeof startHarness>>;
afterAll(() => closeLedgerStores());

const as = async (o: Parameters<typeof bearer>[0]) => ({ authorization: await bearer(o) });
const writerA = () => as({ tenant: 'tenant-a', subject: 'alice', scope: 'batches:write' });
const writerB = () => as({ tenant: 'tenant-b', subject: 'bob', scope: 'batches:write' });
const operatorA = () => as({ tenant: 'tenant-a', subject: 'olga', scope: 'batches:operate' });
const operatorB = () => as({ tenant: 'tenant-b', subject: 'oscar', scope: 'batches:operate' });
const readerC = () => as({ tenant: 'tenant-c', subject: 'carol' });

const SUBMIT = `mutation($input: SubmitGameballBatchInput!, $key: String) {
  submitGameballBatch(input: $input, idempotencyKey: $key) { batch { id providerBatchId } userErrors { code } } }`;
const ORDER = {
  orders: [{ customerId: 'c-1', orderId: 'o-audit', orderDate: '2026-11-01T10:00:00Z', totalPaid: 5 }],
};
const LOG = `query($filter: AuditLogFilter, $after: String, $first: Int) {
  auditLog(filter: $filter, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id mutation provider batchId subject tenant client requestId idempotencyKey outcome code } } } }`;
const GAMEBALL_IDS = '{ batches(first: 100, filter: { providers: [GAMEBALL] }) { edges { node { id } } } }';

type Entry = { mutation: string; batchId: string | null; subject: string; tenant: string; outcome: string };
async function entries(headers: Record<string, string>, filter?: object): Promise<Entry[]> {
  const r = await h.gql(LOG, { filter, first: 100 }, headers);
  expect(r.errors).toBeUndefined();
  return r.data.auditLog.edges.map((e: { node: Entry }) => e.node);
}
async function listed(headers: Record<string, string>): Promise<string[]> {
  const r = await h.gql(GAMEBALL_IDS, undefined, headers);
  expect(r.errors).toBeUndefined();
  return r.data.batches.edges.map((e: { node: { id: string } }) => e.node.id);
}

let created: { id: string; providerBatchId: string };

describe.each(LEDGER_STORES)('with the $name store', (store) => {
  beforeAll(async () => {
    h = await startHarness({ env: { ...JWT_TEST_ENV, CANCEL_OWN_BATCHES_ONLY: 'true', ...(await store.env()) } });
  }, 60_000);
  afterAll(() => h.close());

  describe('the audit log', () => {
    it('writes one entry per mutation: created, replayed, refused (input, scope), with who and which key', async () => {
      const first = await h.gql(SUBMIT, { input: ORDER, key: 'k-1' }, await writerA());
      expect(first.data.submitGameballBatch.userErrors).toEqual([]);
      created = first.data.submitGameballBatch.batch;
      const replay = await h.gql(SUBMIT, { input: ORDER, key: 'k-1' }, await writerA());
      expect(replay.data.submitGameballBatch.batch.id).toBe(created.id);
      const bad = await h.gql(
        'mutation { submitGameballBatch(input: { orderTransactions: ["o-1"], redeem: [{}] }) { userErrors { code } } }',
        undefined,
        await writerA(),
      );
      expect(bad.data.submitGameballBatch.userErrors[0].code).toBe('BAD_USER_INPUT');
      const noScope = await h.gql(
        `mutation { cancelBatch(id: "${created.id}") { userErrors { code } } }`,
        undefined,
        await readerC(),
      );
      expect(noScope.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

      const log = await entries(await operatorA());
      // tenant-c's refusal is not tenant-a's to see.
      expect(log.map((e) => [e.mutation, e.outcome, e.subject, e.tenant])).toEqual([
        ['submitGameballBatch', 'REFUSED', 'alice', 'tenant-a'],
        ['submitGameballBatch', 'REPLAYED', 'alice', 'tenant-a'],
        ['submitGameballBatch', 'CREATED', 'alice', 'tenant-a'],
      ]);
      const [refused, replayed, made] = (await h.gql(LOG, { first: 3 }, await operatorA())).data.auditLog.edges.map(
        (e: { node: Record<string, unknown> }) => e.node,
      );
      expect(made).toMatchObject({
        batchId: created.id,
        provider: 'GAMEBALL',
        idempotencyKey: 'k-1',
        client: 'sub:alice',
      });
      expect(made.requestId).toEqual(expect.any(String));
      expect(replayed).toMatchObject({ batchId: created.id, idempotencyKey: 'k-1' });
      expect(refused).toMatchObject({ batchId: null, code: 'BAD_USER_INPUT', idempotencyKey: null });
      const c = await entries(await as({ tenant: 'tenant-c', subject: 'cid', scope: 'batches:operate' }));
      expect(c).toMatchObject([{ mutation: 'cancelBatch', outcome: 'REFUSED', subject: 'carol', batchId: created.id }]);
    });

    it('filters by batch, subject and mutation, and pages with signed cursors', async () => {
      expect(await entries(await operatorA(), { batchId: created.id })).toHaveLength(2);
      expect(await entries(await operatorA(), { subject: 'nobody' })).toEqual([]);
      expect(await entries(await operatorA(), { mutations: ['cancelBatch'] })).toEqual([]);
      const one = await h.gql(LOG, { first: 1 }, await operatorA());
      expect(one.data.auditLog.pageInfo.hasNextPage).toBe(true);
      const next = await h.gql(LOG, { first: 1, after: one.data.auditLog.pageInfo.endCursor }, await operatorA());
      expect(next.data.auditLog.edges[0].node.outcome).toBe('REPLAYED');
      // Backward: the newer entries before a cursor, in the same newest-first order.
      const older = (await h.gql(LOG, { first: 2 }, await operatorA())).data.auditLog;
      const back = await h.gql(
        `query($before: String) { auditLog(last: 1, before: $before) {
          pageInfo { hasPreviousPage } edges { node { outcome } } } }`,
        { before: older.pageInfo.endCursor },
        await operatorA(),
      );
      expect(back.data.auditLog.edges.map((e: any) => e.node.outcome)).toEqual(['REFUSED']);
      expect(back.data.auditLog.pageInfo.hasPreviousPage).toBe(false);
      // A cursor of one filter is refused under another, as a forged one is.
      const other = await h.gql(
        LOG,
        { first: 1, after: one.data.auditLog.pageInfo.endCursor, filter: { subject: 'alice' } },
        await operatorA(),
      );
      expect(other.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });

    it('needs the operator scope, which does not grant writes', async () => {
      const writer = await h.gql(LOG, {}, await writerA());
      expect(writer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(writer.errors?.[0]?.message).toContain('JWT_OPERATOR_SCOPE');
      const op = await h.gql(SUBMIT, { input: ORDER }, await operatorA());
      expect(op.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(await entries(await operatorB())).toEqual([]);
    });
  });

  describe('tenancy of ledger rows', () => {
    it('lists a submitted batch to its tenant only, and a batch read by id to that reader too', async () => {
      expect(await listed(await writerA())).toContain(created.id);
      expect(await listed(await writerB())).not.toContain(created.id);
      // tenant-c reads it by id (Gameball ids are readable across tenants): now tenant-c lists it, tenant-b still not.
      const read = await h.gql(`{ node(id: "${created.id}") { id } }`, undefined, await readerC());
      expect(read.data.node.id).toBe(created.id);
      expect(await listed(await readerC())).toContain(created.id);
      expect(await listed(await writerB())).not.toContain(created.id);
      // Who submitted it is shown to the submitting tenant only.
      const facts = `{ node(id: "${created.id}") { ... on Batch {
        ledger { submittedHere submittedBy submittedTenant } } } }`;
      expect((await h.gql(facts, undefined, await writerA())).data.node.ledger).toEqual({
        submittedHere: true,
        submittedBy: 'alice',
        submittedTenant: 'tenant-a',
      });
      expect((await h.gql(facts, undefined, await readerC())).data.node.ledger).toEqual({
        submittedHere: true,
        submittedBy: null,
        submittedTenant: null,
      });
    });

    it("answers another tenant's Reach id exactly as a missing one, with the same upstream work", async () => {
      const mine = await h.gql('{ reachBatches(first: 1) { edges { node { id } } } }', undefined, await writerA());
      const foreign = mine.data.reachBatches.edges[0].node.id as string;
      // Read by its owner first, so the ledger holds it (under tenant-a's scope).
      await h.gql(`{ node(id: "${foreign}") { id } }`, undefined, await writerA());
      const missing = toGlobalId('REACH', '00000000-0000-4000-8000-000000000000');
      const answer = async (id: string) => {
        h.resetCounters();
        const r = await h.gql(`{ node(id: "${id}") { id } }`, undefined, await writerB());
        return {
          data: r.data,
          code: r.errors?.[0]?.extensions?.code,
          calls: h.sims.reach.control.totalRequests(),
        };
      };
      const a = await answer(foreign);
      const b = await answer(missing);
      expect(a).toEqual(b);
      expect(a).toMatchObject({ data: { node: null }, code: 'NOT_FOUND', calls: 1 });
    });

    it('CANCEL_OWN_BATCHES_ONLY: another tenant may not cancel a batch it did not submit, its owner may', async () => {
      const other = await h.gql(
        `mutation { cancelBatch(id: "${created.id}") { userErrors { code } } }`,
        undefined,
        await writerB(),
      );
      expect(other.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(other.errors?.[0]?.message).toContain('CANCEL_OWN_BATCHES_ONLY');
      const own = await h.gql(
        `mutation { cancelBatch(id: "${created.id}") { batch { id } userErrors { code } } }`,
        undefined,
        await writerA(),
      );
      expect(own.errors).toBeUndefined();
      const log = await entries(await operatorA(), { mutations: ['cancelBatch'] });
      expect(log).toMatchObject([{ outcome: expect.stringMatching(/^(DONE|REFUSED)$/), subject: 'alice' }]);
    });
  });
});
