import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { sseClient, subscribe } from '../helpers/live-clients.js';
import { until } from '../helpers/until.js';

/**
 * Writes are safe to retry: one upstream attempt, idempotency keys, OUTCOME_UNKNOWN on a timeout, a
 * write that outlives its client; and cancel refuses what cannot be cancelled without calling stop.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    seed: 13,
    batchCount: 40,
    // A short upstream deadline, so a slow create times out; long enough for every other call on a busy machine.
    env: { UPSTREAM_DEADLINE_MS: '1000', UPSTREAM_CONNECT_TIMEOUT_MS: '1000', UPSTREAM_HEADERS_TIMEOUT_MS: '1000' },
  });
});
afterAll(() => h?.close());
beforeEach(() => h.resetCounters());

const SUBMIT = `mutation($key: String, $items: [FactCheckItemInput!]) {
  submitFactCheckBatch(idempotencyKey: $key, input: { items: $items }) {
    batch { id providerBatchId status } userErrors { code message field }
  }
}`;
const created = () => h.sims.factCheck.control.created().length;
const slowCreate = (delayMs: number) =>
  h.sims.factCheck.control.setFault({ kind: 'slow', delayMs, pathPrefix: '/v1/batch', times: 1 });

describe('idempotency keys', () => {
  it('creates exactly one upstream batch for two concurrent calls and a later one with the same key', async () => {
    const before = created();
    slowCreate(200);
    const items = [{ content: 'One claim.' }];
    const [a, b] = await Promise.all([
      h.gql(SUBMIT, { key: 'k-concurrent', items }),
      h.gql(SUBMIT, { key: 'k-concurrent', items }),
    ]);
    const c = await h.gql(SUBMIT, { key: 'k-concurrent', items });
    const ids = [a, b, c].map((r) => r.data.submitFactCheckBatch.batch.providerBatchId);
    expect(created() - before).toBe(1);
    expect(new Set(ids)).toEqual(new Set([h.sims.factCheck.control.created().at(-1)!.id]));
    expect(h.sims.factCheck.control.counters()['POST /v1/batch']).toBe(1);
    const metric = await h.running.metrics.registry.getSingleMetricAsString('batchql_writes_total');
    expect(metric).toMatch(/batchql_writes_total\{mutation="submitFactCheckBatch",outcome="replayed"\} 2/);
  });

  it('answers IDEMPOTENCY_CONFLICT for the same key with other input, without an upstream call', async () => {
    await h.gql(SUBMIT, { key: 'k-conflict', items: [{ content: 'First.' }] });
    h.resetCounters();
    const r = await h.gql(SUBMIT, { key: 'k-conflict', items: [{ content: 'Second.' }] });
    expect(r.data.submitFactCheckBatch).toEqual({
      batch: null,
      userErrors: [{ code: 'IDEMPOTENCY_CONFLICT', message: expect.any(String), field: ['idempotencyKey'] }],
    });
    expect(h.sims.factCheck.control.totalRequests()).toBe(0);
  });

  it('scopes keys by client identity, which a forged X-Forwarded-For does not change', async () => {
    const mine = await h.gql(SUBMIT, { key: 'k-shared', items: [{ content: 'Mine.' }] });
    const theirs = await h.gql(
      SUBMIT,
      { key: 'k-shared', items: [{ content: 'Theirs.' }] },
      { 'x-forwarded-for': '203.0.113.9' },
    );
    // Without TRUST_PROXY both are the same client (the socket's address): a conflict.
    expect(theirs.data.submitFactCheckBatch.userErrors[0]?.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(mine.data.submitFactCheckBatch.batch).not.toBeNull();
  });
});

describe('one attempt, never abandoned', () => {
  it('answers OUTCOME_UNKNOWN when the provider does not answer in time, and a replay says so again', async () => {
    const before = created();
    slowCreate(2_000);
    const r = await h.gql(SUBMIT, { key: 'k-timeout', items: [{ content: 'Slow.' }] });
    expect(r.errors?.map((e) => e.extensions?.code)).toEqual(['OUTCOME_UNKNOWN']);
    expect(r.errors?.[0]?.message).toContain('may or may not have accepted the write');
    const again = await h.gql(SUBMIT, { key: 'k-timeout', items: [{ content: 'Slow.' }] });
    expect(again.errors?.map((e) => e.extensions?.code)).toEqual(['OUTCOME_UNKNOWN']);
    // The provider did accept it in the end: which is why the gateway never claims it failed, nor retries.
    await until(() => created() === before + 1, 5_000, 'the slow batch to be created');
    expect(h.sims.factCheck.control.counters()['POST /v1/batch']).toBe(1);
  });

  it('leaves exactly one batch when the client disconnects right after sending, and a replay returns it', async () => {
    const before = created();
    slowCreate(300);
    const abort = new AbortController();
    const body = JSON.stringify({ query: SUBMIT, variables: { key: 'k-gone', items: [{ content: 'Left early.' }] } });
    const gone = fetch(h.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: abort.signal,
    });
    setTimeout(() => abort.abort(), 50);
    await expect(gone).rejects.toThrow();
    await until(() => created() === before + 1, 3_000, 'the batch of the departed client to be created');
    const replay = await h.gql(SUBMIT, { key: 'k-gone', items: [{ content: 'Left early.' }] });
    expect(replay.data.submitFactCheckBatch.batch.providerBatchId).toBe(h.sims.factCheck.control.created().at(-1)!.id);
    expect(created() - before).toBe(1);
  });
});

describe('cancelBatch', () => {
  const CANCEL = `mutation($id: ID!) { cancelBatch(id: $id) { batch { id status isTerminal } userErrors { code
    message field } } }`;

  it('cancels a running Check batch and answers it CANCELLED', async () => {
    const id = h.sims.factCheck.control.idsByState().running![0]!;
    const r = await h.gql(CANCEL, { id: toGlobalId('FACT_CHECK', id) });
    expect(r.data.cancelBatch).toEqual({
      batch: { id: toGlobalId('FACT_CHECK', id), status: 'CANCELLED', isTerminal: true },
      userErrors: [],
    });
    expect(h.sims.factCheck.control.counters()['POST /v1/batch/:id/cancel']).toBe(1);
  });

  it('answers CANNOT_CANCEL for a finished Check batch (Check’s 400 CANNOT_CANCEL)', async () => {
    const id = h.sims.factCheck.control.idsByState().done![0]!;
    const r = await h.gql(CANCEL, { id: toGlobalId('FACT_CHECK', id) });
    expect(r.data.cancelBatch.batch).toBeNull();
    expect(r.data.cancelBatch.userErrors).toEqual([
      { code: 'CANNOT_CANCEL', message: expect.any(String), field: null },
    ]);
  });

  it('answers CANNOT_CANCEL for a Reach batch without any upstream call', async () => {
    const id = h.sims.reach.control.idsByState().running![0]!;
    const r = await h.gql(CANCEL, { id: toGlobalId('REACH', id) });
    expect(r.data.cancelBatch.userErrors).toEqual([
      { code: 'CANNOT_CANCEL', message: 'REACH batches cannot be cancelled: REACH has no cancel', field: null },
    ]);
    expect(h.sims.reach.control.totalRequests()).toBe(0);
  });

  it('reads a Gameball batch first: refuses a finished one without calling stop, stops a running one', async () => {
    const done = h.sims.gameball.control.idsByState().done![0]!;
    const refused = await h.gql(CANCEL, { id: toGlobalId('GAMEBALL', done) });
    expect(refused.data.cancelBatch.userErrors[0].code).toBe('CANNOT_CANCEL');
    expect(h.sims.gameball.control.counters()['POST /api/v4.0/integrations/batches/:batchId/stop']).toBeUndefined();
    const running = h.sims.gameball.control.idsByState().running![0]!;
    const stopped = await h.gql(CANCEL, { id: toGlobalId('GAMEBALL', running) });
    expect(stopped.data.cancelBatch.batch).toMatchObject({ status: 'CANCELLED', isTerminal: true });
    expect(h.sims.gameball.control.counters()['POST /api/v4.0/integrations/batches/:batchId/stop']).toBe(1);
  });
});

describe('live from the first second', () => {
  it('gives a subscription opened right after a submit the batch’s state at once', async () => {
    const r = await h.gql(SUBMIT, { items: [{ content: 'Watch me.' }] });
    const { id } = r.data.submitFactCheckBatch.batch;
    const sub = subscribe(
      sseClient(h.url),
      `subscription($id: ID!) { batch(id: $id) { id status progress { total } } }`,
      { id },
    );
    await sub.waitForEvents(1);
    sub.close();
    expect(sub.events[0]).toEqual({ batch: { id, status: 'QUEUED', progress: { total: 1 } } });
  });
});
