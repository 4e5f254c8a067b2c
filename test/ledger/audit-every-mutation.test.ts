/**
 * Every mutation leaves exactly one audit entry (issue 29): the seven mutations of the gateway, each through
 * `runWrite`, in the order they ran, with the batch each created and `CREATED` or `DONE`, and an upload's entry
 * about no batch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness } from '../helpers/harness.js';
import { closeLedgerStores, LEDGER_STORES } from '../helpers/ledger-stores.js';

let h: Awaited<ReturnType<typeof startHarness>>;
afterAll(() => closeLedgerStores());

describe.each(LEDGER_STORES)('with the $name store', (store) => {
  beforeAll(async () => {
    h = await startHarness({ env: await store.env() });
  }, 60_000);
  afterAll(() => h.close());

  it('writes one entry per mutation, for all seven, with its outcome and batch', async () => {
    const made: [string, string | null][] = [];
    const run = async (field: string, mutation: string) => {
      const r = await h.gql(mutation);
      expect(r.errors).toBeUndefined();
      expect(r.data[field].userErrors).toEqual([]);
      made.push([field, r.data[field].batch?.id ?? null]);
      return r.data[field];
    };
    const check = await run(
      'submitFactCheckBatch',
      'mutation { submitFactCheckBatch(input: { items: [{ content: "x" }] }) { batch { id } userErrors { code } } }',
    );
    await run(
      'submitGameballBatch',
      `mutation { submitGameballBatch(input: { orders: [{ customerId: "c", orderId: "o-every",
        orderDate: "2026-11-01T10:00:00Z", totalPaid: 1 }] }) { batch { id } userErrors { code } } }`,
    );
    await run(
      'submitReachResources',
      `mutation { submitReachResources(input: { schema: "contacts", resources: [{ externalId: "a" }] }) {
        batch { id } userErrors { code } } }`,
    );
    await run(
      'patchReachResources',
      `mutation { patchReachResources(input: { schema: "contacts", resources: [{ externalId: "a" }] }) {
        batch { id } userErrors { code } } }`,
    );
    await run(
      'deleteReachResources',
      `mutation { deleteReachResources(input: { schema: "contacts", externalIds: ["a"] }) {
        batch { id } userErrors { code } } }`,
    );
    await run('cancelBatch', `mutation { cancelBatch(id: "${check.batch.id}") { batch { id } userErrors { code } } }`);
    // The upload, multipart: a file, no batch.
    const form = new FormData();
    form.append(
      'operations',
      JSON.stringify({
        query: 'mutation($file: File!) { uploadFactCheckFile(file: $file) { fileId userErrors { code } } }',
        variables: { file: null },
      }),
    );
    form.append('map', JSON.stringify({ 0: ['variables.file'] }));
    form.append('0', new Blob(['content\nClaim one\n'], { type: 'text/csv' }), 'claims.csv');
    const upload = (await (
      await fetch(h.url, { method: 'POST', body: form, headers: { 'x-batchql-csrf': '1' } })
    ).json()) as any;
    expect(upload.data.uploadFactCheckFile.fileId).toMatch(/^file_/);
    made.push(['uploadFactCheckFile', null]);

    const log = await h.gql('{ auditLog(first: 100) { edges { node { mutation batchId outcome subject tenant } } } }');
    expect(log.errors).toBeUndefined();
    const entries = log.data.auditLog.edges.map((e: any) => e.node).reverse();
    expect(entries.map((e: any) => [e.mutation, e.batchId])).toEqual(made);
    expect(entries.map((e: any) => e.outcome)).toEqual([
      'CREATED',
      'CREATED',
      'CREATED',
      'CREATED',
      'CREATED',
      'DONE',
      'CREATED',
    ]);
    // AUTH_MODE=none: no subject, no tenant.
    for (const e of entries) expect([e.subject, e.tenant]).toEqual([null, null]);
  });
});
