import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createManualClock,
  startSimulators,
  type ManualClock,
  type Simulators,
} from '../../src/dev/simulators/index.js';

/**
 * The simulators accept every documented write, refuse invalid input as each provider documents it,
 * and run new batches on their clock.
 */
const START = Date.parse('2026-11-01T12:00:00Z');
let clock: ManualClock;
let sims: Simulators;

beforeAll(async () => {
  clock = createManualClock(START);
  sims = await startSimulators({ clock, seed: 5, batchCount: 20, factCheckPlan: 'pro' });
});
afterAll(() => sims.close());

async function call(method: string, url: string, headers: Record<string, string>, body?: unknown) {
  const res = await request(url, {
    method: method as 'POST',
    headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? (JSON.parse(text) as any) : undefined };
}
const reach = () => ({ authorization: `Bearer ${sims.credentials.reach.token}`, 'reach-tenant-id': 'tenant-a' });
const check = () => ({ authorization: `Bearer ${sims.credentials.factCheck.apiKey}` });
const gb = () => ({ apikey: sims.credentials.gameball.apiKey, secretkey: sims.credentials.gameball.secretKey });

describe('Check writes', () => {
  it('creates a batch (202) that is listed and progresses on the clock', async () => {
    const r = await call('POST', `${sims.factCheck.url}/v1/batch`, check(), {
      name: 'claims',
      items: [{ content: 'The sky is blue.' }, { content: 'Water boils at 90 °C.', idempotencyKey: 'k2' }],
      methods: { reasoning: 1, tool: 0.5 },
    });
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ status: 'processing', totalItems: 2, name: 'claims' });
    const list = await call('GET', `${sims.factCheck.url}/v1/batch?limit=5`, check());
    expect(list.body.data[0].id).toBe(r.body.id);
    expect(sims.factCheck.control.created().map((c) => c.id)).toContain(r.body.id);
    clock.advance(60_000);
    const after = await call('GET', `${sims.factCheck.url}/v1/batch/${r.body.id}`, check());
    expect(after.body).toMatchObject({ status: 'completed', processedItems: 2, successCount: 2 });
  });

  it('refuses invalid input with 422 validation_error and field details', async () => {
    const r = await call('POST', `${sims.factCheck.url}/v1/batch`, check(), {
      items: [{ content: '' }],
      options: { timeout: 10, acceptThreshold: 0.4 },
    });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('validation_error');
    expect(r.body.error.details.map((d: { field: string }) => d.field)).toEqual(
      expect.arrayContaining(['items[0].content', 'options.timeout', 'options.acceptThreshold']),
    );
  });

  it('answers 402 quota_exceeded past the month', async () => {
    await call('POST', `${sims.factCheck.url}/__sim/verifications`, {}, { left: 0 });
    const r = await call('POST', `${sims.factCheck.url}/v1/batch`, check(), { items: [{ content: 'x' }] });
    await call('POST', `${sims.factCheck.url}/__sim/verifications`, {}, {});
    expect(r.status).toBe(402);
    expect(r.body.error.code).toBe('quota_exceeded');
  });

  it('takes a multipart upload whose fileId creates one batch, once', async () => {
    const form = new FormData();
    form.append('file', new Blob(['content\n"Claim one"\nClaim two\n'], { type: 'text/csv' }), 'claims.csv');
    const res = await fetch(`${sims.factCheck.url}/v1/batch/upload`, { method: 'POST', headers: check(), body: form });
    const uploaded = (await res.json()) as any;
    expect(res.status).toBe(200);
    expect(uploaded).toMatchObject({ format: 'csv', itemCount: 2, validationErrors: [] });
    const first = await call('POST', `${sims.factCheck.url}/v1/batch`, check(), { fileId: uploaded.fileId });
    expect(first.status).toBe(202);
    expect(first.body.totalItems).toBe(2);
    const again = await call('POST', `${sims.factCheck.url}/v1/batch`, check(), { fileId: uploaded.fileId });
    expect(again.status).toBe(422);
  });

  it('reads examples/claims.csv (the documented upload format): every claim an item, none refused', async () => {
    const csv = readFileSync(new URL('../../examples/claims.csv', import.meta.url), 'utf8');
    const form = new FormData();
    form.append('file', new Blob([csv], { type: 'text/csv' }), 'claims.csv');
    const res = await fetch(`${sims.factCheck.url}/v1/batch/upload`, { method: 'POST', headers: check(), body: form });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      format: 'csv',
      itemCount: csv.trim().split('\n').length - 1,
      validationErrors: [],
    });
  });
});

describe('Gameball writes', () => {
  it('creates a job from {"body": [...]}, answers its numeric jobId, and reads it back', async () => {
    const r = await call('POST', `${sims.gameball.url}/api/v4.0/integrations/batch/orders`, gb(), {
      body: [{ customerId: 'c1', orderId: 'o1', orderDate: '2026-11-01T10:00:00Z', totalPaid: 12.5 }],
    });
    expect(r.status).toBe(200);
    expect(typeof r.body.jobId).toBe('number');
    const status = await call('GET', `${sims.gameball.url}/api/v4.0/integrations/batches/${r.body.jobId}/status`, gb());
    expect(status.body).toMatchObject({ batchId: String(r.body.jobId), status: 'pending', totalItems: 1 });
    expect(sims.gameball.control.created().at(-1)).toMatchObject({ id: String(r.body.jobId), count: 1 });
  });

  it('refuses a missing field (3000), over 1,000 items (3011) and a duplicate transaction id (9004)', async () => {
    const url = `${sims.gameball.url}/api/v4.0/integrations/batch/`;
    const missing = await call('POST', `${url}orders`, gb(), { body: [{ customerId: 'c1' }] });
    expect([missing.status, missing.body.code]).toEqual([400, 3000]);
    const many = await call('POST', `${url}customers`, gb(), {
      body: Array.from({ length: 1001 }, (_, i) => ({ customerId: `c${i}` })),
    });
    expect([many.status, many.body.code]).toEqual([422, 3011]);
    const twice = await call('POST', `${url}cashback`, gb(), {
      body: [
        { customerId: 'c1', transactionId: 't1', amount: 1 },
        { customerId: 'c2', transactionId: 't1', amount: 2 },
      ],
    });
    expect([twice.status, twice.body.code]).toEqual([422, 9004]);
  });
});

describe('Reach writes', () => {
  it('queues POST, PATCH and DELETE batches (202) in the caller tenant, with the batch type of each', async () => {
    const base = `${sims.reach.url}/api/resources/contacts/batch`;
    const post = await call('POST', `${base}?onconflict=reject&dependencyWaitTimeout=60`, reach(), {
      resources: [{ externalId: 'a' }, { externalId: 'b' }],
    });
    const patch = await call('PATCH', base, reach(), { resources: [{ externalId: 'a', name: 'A' }] });
    const del = await call('DELETE', base, reach(), { externalIds: ['a'] });
    for (const r of [post, patch, del]) expect(r.status).toBe(202);
    const types = await Promise.all(
      [post, patch, del].map(async (r) => {
        const got = await call('GET', `${sims.reach.url}/api/batches/${r.body.data.batchId}`, reach());
        return got.body.data.batchType;
      }),
    );
    expect(types).toEqual([
      'PARTNER_RESOURCE_JSON_INGEST',
      'PARTNER_RESOURCE_BATCH_PATCH',
      'PARTNER_RESOURCE_BATCH_DELETE',
    ]);
    const other = await call('GET', `${sims.reach.url}/api/batches/${post.body.data.batchId}`, {
      ...reach(),
      'reach-tenant-id': 'tenant-b',
    });
    expect(other.status).toBe(404);
  });

  it('previews a dryRun DELETE without queueing a batch, and refuses invalid input with 400 errors[]', async () => {
    const before = sims.reach.control.created().length;
    const dry = await call('DELETE', `${sims.reach.url}/api/resources/transactions/batch`, reach(), {
      externalIds: ['t1', 't2'],
      dryRun: true,
    });
    expect(dry.status).toBe(200);
    expect(sims.reach.control.created()).toHaveLength(before);
    const bad = await call('DELETE', `${sims.reach.url}/api/resources/contacts/batch`, reach(), { externalIds: [] });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ success: false, errors: [expect.stringContaining('externalIds')] });
  });
});
