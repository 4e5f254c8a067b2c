import { PROVIDER_NAMES } from '../../src/providers/index.js';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fromGlobalId } from '../../src/domain/global-id.js';
import { startHarness, type Harness } from '../helpers/harness.js';

/**
 * Each mutation against its simulator over HTTP: the batch shows up in the provider's own list (or,
 * for Gameball, which has none, in the simulator's control API) with the right counts, and the
 * returned `Batch` is the one the provider holds.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ seed: 11, batchCount: 40 });
});
afterAll(() => h?.close());
beforeEach(() => h.resetCounters());

const BATCH = `batch { id provider providerBatchId status providerStatus isTerminal progress { total processed } }`;
const ERRORS = `userErrors { code message field }`;

async function upstream(method: string, url: string, headers: Record<string, string>) {
  const res = await request(url, { method: method as 'GET', headers });
  return (await res.body.json()) as any;
}
const checkAuth = () => ({ authorization: `Bearer ${h.sims.credentials.factCheck.apiKey}` });
const reachAuth = () => ({
  authorization: `Bearer ${h.sims.credentials.reach.token}`,
  'reach-tenant-id': h.sims.credentials.reach.tenantId,
});

describe('submitFactCheckBatch', () => {
  it('creates a Check batch that Check lists, and answers it read back once', async () => {
    const r = await h.gql(
      `mutation($input: SubmitFactCheckBatchInput!) { submitFactCheckBatch(input: $input) {
        ${BATCH} ${ERRORS} batch { ... on FactCheckBatch { name methods { method weight } context } } } }`,
      {
        input: {
          name: 'Newsroom claims',
          items: [
            { content: 'The moon is made of rock.', idempotencyKey: 'c-1', context: { url: 'https://x' } },
            { content: 'Paris is in France.' },
          ],
          methods: [
            { method: 'REASONING', weight: 1 },
            { method: 'TOOL', weight: 0.5 },
          ],
          context: { source: 'cms' },
          options: { timeout: 20000, minConfidence: 0.6, maxRetries: 2 },
        },
      },
    );
    expect(r.errors).toBeUndefined();
    const { batch, userErrors } = r.data.submitFactCheckBatch;
    expect(userErrors).toEqual([]);
    expect(batch).toMatchObject({
      provider: 'FACT_CHECK',
      status: 'QUEUED',
      providerStatus: 'pending',
      isTerminal: false,
      progress: { total: 2, processed: 0 },
      name: 'Newsroom claims',
      methods: [
        { method: 'reasoning', weight: 1 },
        { method: 'tool', weight: 0.5 },
      ],
      context: { source: 'cms' },
    });
    expect(fromGlobalId(batch.id, PROVIDER_NAMES)).toEqual({
      provider: 'FACT_CHECK',
      providerBatchId: batch.providerBatchId,
    });
    // One write and one read-back, nothing retried.
    expect(h.sims.factCheck.control.counters()).toEqual({ 'POST /v1/batch': 1, 'GET /v1/batch/:id': 1 });
    const listed = await upstream('GET', `${h.sims.factCheck.url}/v1/batch?limit=3`, checkAuth());
    expect(listed.data[0]).toMatchObject({ id: batch.providerBatchId, totalItems: 2, name: 'Newsroom claims' });
  });

  it('answers the provider’s field messages as PROVIDER_REJECTED_INPUT user errors', async () => {
    const r = await h.gql(
      `mutation { submitFactCheckBatch(input: { fileId: "file_unknown" }) { ${BATCH} ${ERRORS} } }`,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.submitFactCheckBatch).toEqual({
      batch: null,
      userErrors: [
        {
          code: 'PROVIDER_REJECTED_INPUT',
          message: 'unknown, expired or already used file',
          field: ['input', 'fileId'],
        },
      ],
    });
  });

  it('turns Check’s 402 quota_exceeded into the GraphQL error PROVIDER_QUOTA_EXCEEDED', async () => {
    await fetch(`${h.sims.factCheck.url}/__sim/verifications`, { method: 'POST', body: JSON.stringify({ left: 0 }) });
    try {
      const r = await h.gql(`mutation { submitFactCheckBatch(input: { items: [{ content: "x" }] }) { ${BATCH} } }`);
      expect(r.errors?.map((e) => [e.extensions?.code, e.extensions?.provider])).toEqual([
        ['PROVIDER_QUOTA_EXCEEDED', 'FACT_CHECK'],
      ]);
      // The payload is non-null, so the error nulls the whole data.
      expect(r.data).toBeNull();
    } finally {
      await fetch(`${h.sims.factCheck.url}/__sim/verifications`, { method: 'POST', body: '{}' });
    }
  });

  it('still succeeds when the read-back fails: the batch id, QUEUED, and a warning', async () => {
    h.sims.factCheck.control.setFault({ kind: 'http5xx', status: 503, pathPrefix: '/v1/batch/batch_' });
    const r = await h.gql(
      `mutation { submitFactCheckBatch(input: { items: [{ content: "x" }] }) { ${BATCH} ${ERRORS} } }`,
    );
    h.sims.factCheck.control.clearFaults();
    expect(r.errors).toBeUndefined();
    const { batch } = r.data.submitFactCheckBatch;
    const created = h.sims.factCheck.control.created().at(-1)!;
    expect(batch).toMatchObject({ providerBatchId: created.id, status: 'QUEUED', provider: 'FACT_CHECK' });
    expect(r.extensions?.warnings).toEqual([
      expect.objectContaining({ code: 'READ_BACK_FAILED', provider: 'FACT_CHECK', path: ['submitFactCheckBatch'] }),
    ]);
  });
});

describe('lists after a write', () => {
  it('show the new batch at once, though list pages are cached (LIST_PAGE_CACHE_TTL_MS)', async () => {
    const NEWEST = `{ factCheckBatches(first: 1) { edges { node { providerBatchId } } } }`;
    const before = await h.gql(NEWEST);
    const again = await h.gql(NEWEST);
    expect(again.data).toEqual(before.data);
    // The simulators' clock stands still: a millisecond on makes the new batch the newest, not a tie.
    h.clock.advance(1);
    const submitted = await h.gql(
      `mutation { submitFactCheckBatch(input: { items: [{ content: "x" }] }) { ${BATCH} } }`,
    );
    const after = await h.gql(NEWEST);
    expect(after.data.factCheckBatches.edges[0].node.providerBatchId).toBe(
      submitted.data.submitFactCheckBatch.batch.providerBatchId,
    );
  });
});

describe('uploadFactCheckFile', () => {
  it('streams a multipart upload to Check, whose fileId then creates a batch', async () => {
    const form = new FormData();
    form.append(
      'operations',
      JSON.stringify({
        query: `mutation($file: File!) { uploadFactCheckFile(file: $file) { fileId itemCount validationErrors
          { row message } expiresAt ${ERRORS} } }`,
        variables: { file: null },
      }),
    );
    form.append('map', JSON.stringify({ 0: ['variables.file'] }));
    form.append('0', new Blob(['content\nClaim one\n"Claim, two"\n\n'], { type: 'text/csv' }), 'claims.csv');
    const res = await fetch(h.url, { method: 'POST', body: form, headers: { 'x-batchql-csrf': '1' } });
    const body = (await res.json()) as any;
    expect(body.errors).toBeUndefined();
    const uploaded = body.data.uploadFactCheckFile;
    expect(uploaded).toMatchObject({ itemCount: 2, validationErrors: [], userErrors: [] });
    expect(uploaded.fileId).toMatch(/^file_/);
    const r = await h.gql(
      `mutation($f: String!) { submitFactCheckBatch(input: { fileId: $f }) { ${BATCH} batch { ... on
        FactCheckBatch { originalFileName inputFormat } } } }`,
      { f: uploaded.fileId },
    );
    expect(r.data.submitFactCheckBatch.batch).toMatchObject({
      progress: { total: 2 },
      originalFileName: 'claims.csv',
      inputFormat: 'CSV',
    });
  });
});

describe('submitGameballBatch', () => {
  it('creates a job of the one operation given, seen in the simulator’s control API with its item count', async () => {
    const r = await h.gql(
      `mutation($input: SubmitGameballBatchInput!) { submitGameballBatch(input: $input) {
        ${BATCH} ${ERRORS} batch { ... on GameballBatch { totalItems } } } }`,
      {
        input: {
          orders: [
            { customerId: 'c-1', orderId: 'o-1', orderDate: '2026-11-01T10:00:00Z', totalPaid: 25.5 },
            { customerId: 'c-2', orderId: 'o-2', orderDate: '2026-11-01T11:00:00Z', totalPaid: 10 },
          ],
        },
      },
    );
    expect(r.errors).toBeUndefined();
    const { batch } = r.data.submitGameballBatch;
    const created = h.sims.gameball.control.created().at(-1)!;
    expect(created).toMatchObject({ id: batch.providerBatchId, count: 2, detail: { operation: 'orders' } });
    expect(batch).toMatchObject({ provider: 'GAMEBALL', status: 'QUEUED', totalItems: 2, progress: { total: 2 } });
  });

  it('refuses two operations at once, and turns a duplicate transaction id (9004) into a user error', async () => {
    const two = await h.gql(
      `mutation { submitGameballBatch(input: { orderTransactions: ["o-1"], redeem: [{}] }) { ${BATCH} ${ERRORS} } }`,
    );
    expect(two.data.submitGameballBatch.userErrors[0]).toMatchObject({ code: 'BAD_USER_INPUT', field: ['input'] });
    const dup = await h.gql(
      `mutation { submitGameballBatch(input: { cashback: [{ customerId: "c", transactionId: "t", amount: 1 },
        { customerId: "d", transactionId: "t", amount: 2 }] }) { ${BATCH} ${ERRORS} } }`,
    );
    expect(dup.data.submitGameballBatch.userErrors).toEqual([
      { code: 'PROVIDER_REJECTED_INPUT', message: expect.stringContaining('(Gameball 9004)'), field: ['input'] },
    ]);
    expect(h.sims.gameball.control.counters()['POST /api/v4.0/integrations/batch/cashback']).toBe(1);
  });
});

describe('Reach writes', () => {
  it('submits, patches and deletes resources in the tenant’s batches, listed by Reach with their types', async () => {
    const submit = await h.gql(
      `mutation { submitReachResources(input: { schema: "contacts", resources: [{ externalId: "a" }, {
        externalId: "b" }], onConflict: REJECT, dependencyWaitTimeoutSeconds: 60 }) { ${BATCH} ${ERRORS} } }`,
    );
    const patch = await h.gql(
      `mutation { patchReachResources(input: { schema: "contacts", resources: [{ externalId: "a", email: null
        }], ignoreUnknownFields: true }) { ${BATCH} ${ERRORS} } }`,
    );
    const del = await h.gql(
      `mutation { deleteReachResources(input: { schema: "transactions", externalIds: ["t-1"] }) { batch { id
        providerBatchId batchType } preview ${ERRORS} } }`,
    );
    for (const r of [submit, patch, del]) expect(r.errors).toBeUndefined();
    const ids = [
      submit.data.submitReachResources.batch.providerBatchId,
      patch.data.patchReachResources.batch.providerBatchId,
      del.data.deleteReachResources.batch.providerBatchId,
    ];
    const listed = await upstream('GET', `${h.sims.reach.url}/api/batches?limit=5`, reachAuth());
    const types = Object.fromEntries(
      listed.data.results.map((b: any) => [b.batchId, [b.batchType, b.progress.totalRecords]]),
    );
    expect(ids.map((id) => types[id])).toEqual([
      ['PARTNER_RESOURCE_JSON_INGEST', 2],
      ['PARTNER_RESOURCE_BATCH_PATCH', 1],
      ['PARTNER_RESOURCE_BATCH_DELETE', 1],
    ]);
    const sent = h.sims.reach.control.created().slice(-3);
    expect(sent[0]!.detail).toMatchObject({ query: { onconflict: 'reject', dependencyWaitTimeout: '60' } });
    expect(sent[1]!.detail).toMatchObject({ query: { ignoreUnknownFields: 'true' } });
  });

  it('answers a dryRun delete with its preview and no batch', async () => {
    const before = h.sims.reach.control.created().length;
    const r = await h.gql(
      `mutation { deleteReachResources(input: { schema: "contacts", externalIds: ["a", "b"], dryRun: true })
        { batch { id } preview ${ERRORS} } }`,
    );
    expect(r.data.deleteReachResources).toEqual({
      batch: null,
      preview: expect.objectContaining({ dryRun: true }),
      userErrors: [],
    });
    expect(h.sims.reach.control.created()).toHaveLength(before);
  });
});

describe('input limits', () => {
  it('refuses over-limit inputs with BAD_USER_INPUT naming the limit, before any upstream call', async () => {
    const many = Array.from({ length: 1_001 }, (_, i) => ({ content: `claim ${i}` }));
    const long = [{ content: 'x'.repeat(50_001) }];
    const check = `mutation($items: [FactCheckItemInput!]) { submitFactCheckBatch(input: { items: $items }) {
      ${ERRORS} } }`;
    const tooMany = await h.gql(check, { items: many });
    const tooLong = await h.gql(check, { items: long });
    const gameball = await h.gql(
      `mutation($c: [GameballCustomerInput!]) { submitGameballBatch(input: { customers: $c }) { ${ERRORS} } }`,
      { c: Array.from({ length: 1_001 }, (_, i) => ({ customerId: `c${i}` })) },
    );
    const reach = await h.gql(
      `mutation($r: [JSON!]!) { submitReachResources(input: { schema: "contacts", resources: $r }) { ${ERRORS} } }`,
      { r: Array.from({ length: 1_001 }, (_, i) => ({ externalId: `e${i}` })) },
    );
    const options = await h.gql(
      `mutation { submitFactCheckBatch(input: { items: [{ content: "x" }], options: { timeout: 10,
        acceptThreshold: 0.3 }, methods: [{ method: FORMAL, weight: 1 }] }) { ${ERRORS} } }`,
    );
    expect(tooMany.data.submitFactCheckBatch.userErrors).toEqual([
      { code: 'BAD_USER_INPUT', message: expect.stringContaining('at most 1000 items'), field: ['input', 'items'] },
    ]);
    expect(tooLong.data.submitFactCheckBatch.userErrors).toEqual([
      {
        code: 'BAD_USER_INPUT',
        message: expect.stringContaining('at most 50000 per item'),
        field: ['input', 'items', '0', 'content'],
      },
    ]);
    expect(gameball.data.submitGameballBatch.userErrors[0].message).toContain('at most 1000 items');
    expect(reach.data.submitReachResources.userErrors[0].message).toContain('at most 1000 resources');
    expect(options.data.submitFactCheckBatch.userErrors.map((e: any) => e.field.join('.'))).toEqual([
      'input.methods',
      'input.options.timeout',
      'input.options.acceptThreshold',
    ]);
    for (const sim of h.sims.all()) expect(sim.control.totalRequests()).toBe(0);
  });

  it('accepts a mutation body over MAX_BODY_BYTES (to MAX_MUTATION_BODY_BYTES) and refuses such a query', async () => {
    const items = Array.from({ length: 500 }, (_, i) => ({ content: `claim ${i} `.padEnd(400, '.') }));
    const big = await h.gql(
      `mutation($items: [FactCheckItemInput!]) { submitFactCheckBatch(input: { items: $items }) { ${BATCH} } }`,
      { items },
    );
    expect(big.status).toBe(200);
    expect(big.data.submitFactCheckBatch.batch.progress.total).toBe(500);
    const query = await h.gql(`query($pad: String) { providers { provider } }`, { pad: 'x'.repeat(200_000) });
    expect(query.status).toBe(413);
    expect(query.errors?.[0]?.extensions?.code).toBe('PAYLOAD_TOO_LARGE');
  });
});
