import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { sseClient, subscribe, wsClient } from '../helpers/live-clients.js';
import { JWT_TEST_ENV, bearer } from '../helpers/auth.js';
import { createClientRateLimiter } from '../../src/graphql/rate-limit.js';
import { createGatewayRedis } from '../../src/redis/connection.js';

/**
 * The inbound rate limit per client (`RATE_LIMIT_PER_MINUTE`): a query counts one, opening a
 * subscription counts one (its events none); beyond the limit HTTP answers 429 with Retry-After
 * and `RATE_LIMITED`, a WebSocket operation gets the same GraphQL error. Off by default.
 */
const QUERY = '{ providers { provider } }';
const WATCH = 'subscription W($id: ID!) { batch(id: $id) { providerBatchId progress { processed } } }';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function post(url: string, headers: Record<string, string>) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query: QUERY }),
  });
  const body = (await res.json()) as { data?: unknown; errors?: { extensions?: Record<string, unknown> }[] };
  return { status: res.status, retryAfter: res.headers.get('retry-after'), ...body };
}

describe('with RATE_LIMIT_PER_MINUTE=5 (JWT subjects)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { ...JWT_TEST_ENV, RATE_LIMIT_PER_MINUTE: '5' } });
  });
  afterAll(() => h?.close());

  it('refuses the 6th query in a minute (429, Retry-After, RATE_LIMITED); another subject is unaffected', async () => {
    const a = { authorization: await bearer({ subject: 'rl-a' }) };
    for (let i = 0; i < 5; i++) {
      const ok = await post(h.url, a);
      expect(ok.status).toBe(200);
      expect(ok.errors).toBeUndefined();
    }
    const refused = await post(h.url, a);
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(60);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED' });
    expect(refused.errors?.[0]?.extensions?.retryAfterMs).toBeGreaterThan(0);
    expect(refused.errors?.[0]?.extensions).not.toHaveProperty('http');

    const b = await post(h.url, { authorization: await bearer({ subject: 'rl-b' }) });
    expect(b.status).toBe(200);
    expect(b.errors).toBeUndefined();
  });

  it('counts a subscription once however many events it gets; then refuses it over WebSocket', async () => {
    const authorization = await bearer({ subject: 'rl-sub' });
    const id = toGlobalId('FACT_CHECK', h.sims.factCheck.control.idsByState().running![0]!);
    const sse = sseClient(h.url, { authorization });
    const sub = subscribe(sse, WATCH, { id });
    await sub.waitForEvents(1);
    for (let i = 0; i < 20 && sub.events.length < 4; i++) {
      h.clock.advance(1_000);
      await sleep(60);
    }
    expect(sub.events.length).toBeGreaterThanOrEqual(4);
    expect(sub.errors).toEqual([]);
    sub.close();
    // 1 used by the subscription: 4 queries still pass, the next is refused.
    for (let i = 0; i < 4; i++) expect((await post(h.url, { authorization })).status).toBe(200);
    expect((await post(h.url, { authorization })).status).toBe(429);

    const ws = wsClient(h.url, { authorization });
    const refused = subscribe(ws, WATCH, { id });
    await refused.ended;
    expect(refused.events).toEqual([]);
    expect(JSON.stringify(refused.errors)).toContain('RATE_LIMITED');
    expect(JSON.stringify(refused.errors)).not.toContain('"http"');
    await ws.dispose();
  });

  it('counts each refusal in batchql_rate_limited_total by transport, and nothing else', async () => {
    const counted = async () => {
      const text = await (await fetch(h.url.replace(/\/graphql$/, '/metrics'))).text();
      const lines = text.split('\n').filter((l) => l.startsWith('batchql_rate_limited_total'));
      // One series per transport, and no other label (a client label would be unbounded).
      expect(lines.map((l) => l.replace(/ \d+$/, '')).sort()).toEqual(
        ['http', 'sse', 'ws'].map((t) => `batchql_rate_limited_total{transport="${t}"}`),
      );
      return Object.fromEntries(lines.map((l) => [/transport="(\w+)"/.exec(l)![1]!, Number(l.split(' ').at(-1))]));
    };
    const before = await counted();
    const authorization = await bearer({ subject: 'rl-metrics' });
    for (let i = 0; i < 5; i++) expect((await post(h.url, { authorization })).status).toBe(200);
    expect(await counted()).toEqual(before);

    expect((await post(h.url, { authorization })).status).toBe(429);
    const id = toGlobalId('FACT_CHECK', h.sims.factCheck.control.idsByState().running![0]!);
    const sse = await fetch(h.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization },
      body: JSON.stringify({ query: WATCH, variables: { id } }),
    });
    expect(await sse.text()).toContain('RATE_LIMITED');
    const ws = wsClient(h.url, { authorization });
    const refused = subscribe(ws, WATCH, { id });
    await refused.ended;
    expect(JSON.stringify(refused.errors)).toContain('RATE_LIMITED');
    await ws.dispose();
    expect(await counted()).toEqual({ http: before.http! + 1, sse: before.sse! + 1, ws: before.ws! + 1 });
  });

  it('never limits /health or /ready', async () => {
    const base = h.url.replace(/\/graphql$/, '');
    for (let i = 0; i < 10; i++) {
      expect((await fetch(`${base}/health`)).status).toBe(200);
      expect((await fetch(`${base}/ready`)).status).toBe(200);
    }
  });
});

describe('by address behind TRUST_PROXY=1', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { RATE_LIMIT_PER_MINUTE: '5', TRUST_PROXY: '1' } });
  });
  afterAll(() => h?.close());

  it('limits each forwarded address on its own', async () => {
    const a = { 'x-forwarded-for': '203.0.113.7' };
    for (let i = 0; i < 5; i++) expect((await post(h.url, a)).status).toBe(200);
    const refused = await post(h.url, a);
    expect(refused.status).toBe(429);
    expect(refused.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect((await post(h.url, { 'x-forwarded-for': '203.0.113.8' })).status).toBe(200);
  });
});

describe('off by default', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.close());

  it('lets many queries from one client through', async () => {
    for (let i = 0; i < 30; i++) {
      const r = await post(h.url, {});
      expect(r.status).toBe(200);
      expect(r.errors).toBeUndefined();
    }
  });
});

describe('the limiter on Redis', () => {
  const prefix = `batchql-test-${process.pid}-${Date.now()}:`;

  it('keeps counting in memory, per replica, while Redis is unreachable (no error, no wait)', async () => {
    const redis = createGatewayRedis({ url: 'redis://127.0.0.1:1', keyPrefix: prefix, instanceId: 'rl-outage' });
    // The connection tries (and keeps trying) in the background, as a replica's does during an outage.
    void redis.ready().catch(() => {});
    const limiter = createClientRateLimiter({ perMinute: 2, redis })!;
    const started = Date.now();
    const decisions = [];
    for (let i = 0; i < 3; i++) decisions.push(await limiter.consume('sub:outage'));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, false]);
    expect(Date.now() - started).toBeLessThan(1_000);
    await limiter.close();
    await redis.close();
  });

  it.skipIf(!process.env.REDIS_TEST_URL)('shares one limit between replicas', async () => {
    const url = process.env.REDIS_TEST_URL!;
    const connections = ['rl-1', 'rl-2'].map((instanceId) =>
      createGatewayRedis({ url, keyPrefix: prefix, instanceId }),
    );
    await Promise.all(connections.map((c) => c.connect()));
    const [one, two] = connections.map((redis) => createClientRateLimiter({ perMinute: 3, redis })!);
    const decisions = [
      await one!.consume('sub:shared'),
      await two!.consume('sub:shared'),
      await one!.consume('sub:shared'),
      await two!.consume('sub:shared'),
    ];
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
    const last = decisions[3]!;
    expect(!last.allowed && last.retryAfterMs > 0 && last.retryAfterMs <= 60_000).toBe(true);
    await Promise.all([one!.close(), two!.close(), ...connections.map((c) => c.close())]);
  });
});
