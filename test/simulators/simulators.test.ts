import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createManualClock,
  startSimulators,
  type ManualClock,
  type Simulators,
} from '../../src/dev/simulators/index.js';

const START = Date.parse('2026-11-01T12:00:00Z');
let clock: ManualClock;
let sims: Simulators;

beforeAll(async () => {
  clock = createManualClock(START);
  sims = await startSimulators({ clock, seed: 3, batchCount: 300 });
});
afterAll(() => sims.close());
beforeEach(() => {
  clock.set(START);
  for (const s of sims.all()) (s.control.resetCounters(), s.control.clearFaults());
});

async function get(url: string, headers: Record<string, string>) {
  const res = await request(url, { headers });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body: text ? (JSON.parse(text) as any) : undefined };
}
const reachAuth = () => ({
  authorization: `Bearer ${sims.credentials.reach.token}`,
  'reach-tenant-id': sims.credentials.reach.tenantId,
});
const checkAuth = () => ({ authorization: `Bearer ${sims.credentials.factCheck.apiKey}` });
const gbAuth = () => ({ apikey: sims.credentials.gameball.apiKey, secretkey: sims.credentials.gameball.secretKey });

describe('data sets', () => {
  it('cover every state on every simulator', () => {
    for (const [name, sim] of [
      ['reach', sims.reach],
      ['gameball', sims.gameball],
      ['factCheck', sims.factCheck],
    ] as const) {
      const states = sim.control.idsByState();
      for (const state of ['queued', 'running', 'done', 'partial', 'failed'])
        expect(states[state]?.length, `${name} ${state}`).toBeGreaterThan(0);
      if (name === 'reach') expect(states.pending?.length).toBeGreaterThan(0);
      else expect(states.cancelled?.length, `${name} cancelled`).toBeGreaterThan(0);
    }
  });

  it('are deterministic for a seed', async () => {
    const again = await startSimulators({ clock, seed: 3, batchCount: 300 });
    const other = await startSimulators({ clock, seed: 4, batchCount: 300 });
    try {
      expect(again.factCheck.control.idsByState()).toEqual(sims.factCheck.control.idsByState());
      expect(other.factCheck.control.idsByState()).not.toEqual(sims.factCheck.control.idsByState());
    } finally {
      await Promise.all([again.close(), other.close()]);
    }
  });
});

describe('progress', () => {
  it('moves with the clock until the batch is finished', async () => {
    const id = sims.factCheck.control.idsByState().running![0]!;
    const seen: number[] = [];
    let status = '';
    for (let i = 0; i < 200 && status !== 'completed'; i++) {
      const { body } = await get(`${sims.factCheck.url}/v1/batch/${id}`, checkAuth());
      seen.push(body.processedItems);
      status = body.status;
      clock.advance(5_000);
    }
    expect(status).toBe('completed');
    expect(seen.length).toBeGreaterThan(2);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]!);
    expect(seen.at(-1)).toBeGreaterThan(seen[0]!);
  });
});

describe('Check', () => {
  it('pages its list by offset in createdAt desc order with X-RateLimit headers', async () => {
    const ids: string[] = [];
    let last = Number.POSITIVE_INFINITY;
    for (let offset = 0; ; offset += 100) {
      const res = await get(`${sims.factCheck.url}/v1/batch?limit=100&offset=${offset}`, checkAuth());
      expect(res.headers['x-ratelimit-limit']).toBeDefined();
      expect(res.headers['x-ratelimit-remaining']).toBeDefined();
      expect(res.body.pagination).toMatchObject({ total: 300, limit: 100, offset });
      for (const b of res.body.data) {
        const t = Date.parse(b.createdAt);
        expect(t).toBeLessThanOrEqual(last);
        last = t;
        ids.push(b.id);
      }
      if (!res.body.pagination.hasMore) break;
    }
    expect(new Set(ids).size).toBe(300);
  });

  it('filters its list by status', async () => {
    const res = await get(`${sims.factCheck.url}/v1/batch?status=failed&limit=100`, checkAuth());
    expect(res.body.data.length).toBeGreaterThan(0);
    expect(res.body.data.every((b: { status: string }) => b.status === 'failed')).toBe(true);
  });

  it('serves item results by itemIndex and cancels only running batches', async () => {
    const id = sims.factCheck.control.idsByState().running![0]!;
    const results = await get(`${sims.factCheck.url}/v1/batch/${id}/results?limit=5&offset=2`, checkAuth());
    expect(results.body.items.map((i: { itemIndex: number }) => i.itemIndex)).toEqual([2, 3, 4, 5, 6]);
    const cancel = await request(`${sims.factCheck.url}/v1/batch/${id}/cancel`, {
      method: 'POST',
      headers: checkAuth(),
    });
    expect(cancel.statusCode).toBe(200);
    expect(await cancel.body.json()).toMatchObject({ id, status: 'cancelled' });
    const again = await request(`${sims.factCheck.url}/v1/batch/${id}/cancel`, {
      method: 'POST',
      headers: checkAuth(),
    });
    expect(again.statusCode).toBe(400);
    expect(await again.body.json()).toMatchObject({ error: { code: 'CANNOT_CANCEL' } });
  });

  it('answers 401 and 404 in its nested envelope', async () => {
    expect((await get(`${sims.factCheck.url}/v1/batch/batch_000000000000`, checkAuth())).body).toMatchObject({
      error: { code: 'not_found' },
    });
    const denied = await get(`${sims.factCheck.url}/v1/batch`, { authorization: 'Bearer vfy_wrong' });
    expect(denied.status).toBe(401);
    expect(denied.body).toMatchObject({ error: { code: 'unauthorized' } });
  });
});

describe('Reach', () => {
  it('walks its cursor list once per batch, honouring batchType', async () => {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const qs: string = `limit=37&batchType=PARTNER_RESOURCE_JSON_INGEST${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await get(`${sims.reach.url}/api/batches?${qs}`, reachAuth());
      expect(res.body.success).toBe(true);
      for (const b of res.body.data.results)
        (expect(b.batchType).toBe('PARTNER_RESOURCE_JSON_INGEST'), ids.push(b.batchId));
      cursor = res.body.data.pagination.cursor;
      expect(cursor === null).toBe(!res.body.data.pagination.hasNextPage);
    } while (cursor);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThan(50);
  });

  it('requires reach-tenant-id with a partner token and hides other tenants', async () => {
    const id = sims.reach.control.idsByState().done![0]!;
    expect(
      (await get(`${sims.reach.url}/api/batches/${id}`, { authorization: reachAuth().authorization })).status,
    ).toBe(400);
    expect(
      (await get(`${sims.reach.url}/api/batches/${id}`, { ...reachAuth(), 'reach-tenant-id': 'tenant-b' })).status,
    ).toBe(404);
    expect((await get(`${sims.reach.url}/api/batches/${id}`, reachAuth())).status).toBe(200);
  });

  it('lists pending resources only when asked', async () => {
    const id = sims.reach.control.idsByState().pending![0]!;
    const plain = await get(`${sims.reach.url}/api/batches/${id}`, reachAuth());
    const detailed = await get(`${sims.reach.url}/api/batches/${id}?includePendingDetails=true`, reachAuth());
    expect(plain.body.data.progress.pendingRecords).toBeGreaterThan(0);
    expect(plain.body.data.pendingResources).toBeUndefined();
    expect(detailed.body.data.pendingResources).toHaveLength(plain.body.data.progress.pendingRecords);
  });
});

describe('Gameball', () => {
  it('stops a running batch, which then reports "stopped"', async () => {
    const id = sims.gameball.control.idsByState().running![0]!;
    const stop = await request(`${sims.gameball.url}/api/v4.0/integrations/batches/${id}/stop`, {
      method: 'POST',
      headers: gbAuth(),
    });
    expect(stop.statusCode).toBe(200);
    await stop.body.dump();
    expect((await get(`${sims.gameball.url}/api/v4.0/integrations/batches/${id}/status`, gbAuth())).body.status).toBe(
      'stopped',
    );
  });
});

describe('control API and faults', () => {
  it('counts requests per route and switches faults over HTTP', async () => {
    const id = sims.gameball.control.idsByState().done![0]!;
    await request(`${sims.gameball.url}/__sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'http5xx', status: 503, times: 1 }),
    }).then((r) => r.body.dump());
    expect((await get(`${sims.gameball.url}/api/v4.0/integrations/batches/${id}/status`, gbAuth())).status).toBe(503);
    expect((await get(`${sims.gameball.url}/api/v4.0/integrations/batches/${id}/status`, gbAuth())).status).toBe(200);
    const counters = await get(`${sims.gameball.url}/__sim/counters`, {});
    expect(counters.body.counters['GET /api/v4.0/integrations/batches/:batchId/status']).toBe(2);
  });

  it('replaces status words under an unknownStatus fault', async () => {
    sims.reach.control.setFault({ kind: 'unknownStatus', status: 'quarantined' });
    const id = sims.reach.control.idsByState().done![0]!;
    expect((await get(`${sims.reach.url}/api/batches/${id}`, reachAuth())).body.data.status).toBe('quarantined');
  });
});
