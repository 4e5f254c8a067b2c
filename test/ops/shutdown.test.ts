import { Agent, request } from 'node:http';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { simulatorEnv } from '../../src/dev/gateway-env.js';
import { BUILT_COMMAND, spawnGateway, type GatewayProcess } from '../../src/dev/gateway-process.js';
import { createManualClock, startSimulators, type Simulators } from '../../src/dev/simulators/index.js';
import { ensureBuilt } from '../helpers/build.js';
import { FAST_LIVE_ENV } from '../helpers/harness.js';
import { sseClient, subscribe, wsClient } from '../helpers/live-clients.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { until } from '../helpers/until.js';

/**
 * SIGTERM to the built gateway (`node dist/main.js`, as the image runs it) while it serves a slow
 * query, an SSE stream and a WebSocket stream: the query is answered, the streams end with a
 * reconnect signal (never `complete`), and the process exits 0 with one log line of counts.
 */
const clock = createManualClock(Date.parse('2026-11-01T12:00:00Z'));
let sims: Simulators;
let env: Record<string, string>;
const started: GatewayProcess[] = [];
const WATCH = `subscription($id: ID!) { batch(id: $id) { providerBatchId status progress { processed } } }`;

beforeAll(async () => {
  await ensureBuilt();
  sims = await startSimulators({ clock, seed: 41, batchCount: 60 });
  env = {
    ...simulatorEnv(sims),
    ...FAST_LIVE_ENV,
    // Straight to the drain on SIGTERM, but in the readiness grace's own test.
    SHUTDOWN_DELAY_MS: '0',
  };
}, 90_000);

afterAll(async () => {
  await Promise.all(started.map((g) => g.kill('SIGKILL')));
  await sims?.close();
});

async function gateway(extra: Record<string, string>, command = BUILT_COMMAND): Promise<GatewayProcess> {
  const g = await spawnGateway({ ...env, ...extra }, { command });
  started.push(g);
  return g;
}

function runningCheckBatches(n: number): string[] {
  const ids = sims.factCheck.control.idsByState().running!.slice(0, n);
  expect(ids).toHaveLength(n);
  return ids;
}

const checkId = (id: string) => toGlobalId('FACT_CHECK', id);

/** POSTs a query (its own connection, through fetch). */
async function query(url: string, text: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({ query: text }),
  });
  return { status: res.status, body: await res.json() };
}

/** A GET over `agent` (a kept-alive connection stays usable after the listener closed), or a new connection (false). */
function get(
  agent: Agent | false,
  port: number,
  path: string,
): Promise<{ status: number; headers: any; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** An SSE subscription read as raw text, to see exactly how the stream ends. */
function rawSse(url: string, text: string, variables: Record<string, unknown>) {
  let received = '';
  const ended = fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query: text, variables }),
  }).then(async (res) => {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return 'ended' as const;
        received += decoder.decode(value, { stream: true });
      }
    } catch {
      return 'broken' as const;
    }
  });
  return { text: () => received, ended };
}

function stoppedLine(g: GatewayProcess): Record<string, unknown> | undefined {
  return g.logs().find((l) => l.msg === 'stopped');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('graceful shutdown of the built gateway', () => {
  it('drains a slow query, ends the SSE and WebSocket streams without complete, and exits 0', async () => {
    const timeoutMs = 15_000;
    const g = await gateway({ SHUTDOWN_TIMEOUT_MS: String(timeoutMs) });
    const [sseBatch, wsBatch, slowBatch] = runningCheckBatches(3) as [string, string, string];
    const sse = rawSse(g.url, WATCH, { id: checkId(sseBatch) });
    const ws = subscribe(wsClient(g.url), WATCH, { id: checkId(wsBatch) });
    await until(() => sse.text().includes('event: next'), 10_000, 'a first SSE event');
    await ws.waitForEvents(1);
    // A kept-alive connection, as a load balancer's health checker holds one.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    expect((await get(agent, g.port, '/ready')).status).toBe(200);

    sims.factCheck.control.setFault({ kind: 'slow', delayMs: 2_500, times: 1, pathPrefix: `/v1/batch/${slowBatch}` });
    const slow = query(g.url, `{ batch(provider: FACT_CHECK, providerBatchId: "${slowBatch}") { providerBatchId } }`);
    await until(
      () => sims.factCheck.control.requests().some((r) => r.path === `/v1/batch/${slowBatch}`),
      5_000,
      'the slow query reached the simulator',
    );
    const signalledAt = Date.now();
    g.child.kill('SIGTERM');
    await until(() => g.logs().some((l) => l.msg === 'shutting down: draining'), 5_000, 'the drain to start');

    // While the query drains: not ready, on a connection that was open; no new connections.
    const ready = await get(agent, g.port, '/ready');
    expect(ready.status).toBe(503);
    expect(ready.headers.connection).toBe('close');
    expect(JSON.parse(ready.body)).toMatchObject({ ready: false, draining: true });
    await expect(get(false, g.port, '/health')).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    const answer = await slow;
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data.batch.providerBatchId).toBe(slowBatch);

    // The SSE response ended cleanly, with no `complete` event: clients reconnect elsewhere.
    expect(await sse.ended).toBe('ended');
    expect(sse.text()).toContain('event: next');
    expect(sse.text()).not.toContain('event: complete');
    // The WebSocket was closed with 1012 Service Restart (graphql-ws clients retry it), not completed.
    await ws.ended;
    expect(ws.errors).toEqual([{ code: 1012, reason: expect.stringContaining('Service Restart') }]);

    expect(await g.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(timeoutMs);
    expect(stoppedLine(g)).toMatchObject({
      level: 30,
      signal: 'SIGTERM',
      queriesDrained: 1,
      queriesCut: 0,
      sseStreamsClosed: 1,
      webSocketsClosed: 1,
      leasesReleased: 0,
      forced: false,
    });
    agent.destroy();
  }, 40_000);

  it('destroys what is still unanswered at SHUTDOWN_TIMEOUT_MS, and still exits 0', async () => {
    const g = await gateway({ SHUTDOWN_TIMEOUT_MS: '500' });
    const [stuckBatch] = runningCheckBatches(4).slice(3) as [string];
    sims.factCheck.control.setFault({ kind: 'hang', times: 1, pathPrefix: `/v1/batch/${stuckBatch}` });
    const stuck = query(g.url, `{ batch(provider: FACT_CHECK, providerBatchId: "${stuckBatch}") { providerBatchId } }`);
    await until(
      () => sims.factCheck.control.requests().some((r) => r.path === `/v1/batch/${stuckBatch}`),
      5_000,
      'the hanging query reached the simulator',
    );
    g.child.kill('SIGTERM');
    await expect(stuck).rejects.toThrow();
    expect(await g.exited).toEqual({ code: 0, signal: null });
    expect(stoppedLine(g)).toMatchObject({ level: 40, queriesDrained: 0, queriesCut: 1, forced: true });
  }, 30_000);

  it('stops the same way under `npm start`: npm passes SIGTERM on to node and waits, leaving no orphan', async () => {
    const g = await gateway({ SHUTDOWN_TIMEOUT_MS: '10000' }, ['npm', 'start']);
    const pid = g.logs().find((l) => l.msg === 'listening')?.pid as number;
    // The gateway is npm's own child (the script execs node), not npm itself.
    expect(typeof pid).toBe('number');
    expect(pid).not.toBe(g.child.pid);
    try {
      g.child.kill('SIGTERM');
      expect(await g.exited).toEqual({ code: 0, signal: null });
      expect(alive(pid)).toBe(false);
      expect(stoppedLine(g)).toMatchObject({ signal: 'SIGTERM', forced: false });
    } finally {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  }, 40_000);
});

describe('the readiness grace on SIGTERM (SHUTDOWN_DELAY_MS)', () => {
  it('answers /ready 503 while serving everything, new connections included, then drains as usual', async () => {
    const delayMs = 1_500;
    const g = await gateway({ SHUTDOWN_DELAY_MS: String(delayMs), SHUTDOWN_TIMEOUT_MS: '5000' });
    const [batch] = runningCheckBatches(6).slice(5) as [string];
    expect((await get(false, g.port, '/ready')).status).toBe(200);
    const signalledAt = Date.now();
    g.child.kill('SIGTERM');
    await until(
      () => g.logs().some((l) => l.msg === 'shutting down: not ready, still serving'),
      5_000,
      'the grace to start',
    );
    // A new connection: not ready, but served.
    const ready = await get(false, g.port, '/ready');
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toMatchObject({ ready: false, stopping: true });
    expect((await get(false, g.port, '/health')).status).toBe(200);
    const answer = await query(
      g.url,
      `{ batch(provider: FACT_CHECK, providerBatchId: "${batch}") { providerBatchId } }`,
    );
    expect(answer.status).toBe(200);
    expect(answer.body.data.batch.providerBatchId).toBe(batch);
    expect(Date.now() - signalledAt).toBeLessThan(delayMs);
    // Then the drain, as without the grace: the listener closes and the process exits 0.
    await until(() => g.logs().some((l) => l.msg === 'shutting down: draining'), 5_000, 'the drain to start');
    expect(Date.now() - signalledAt).toBeGreaterThanOrEqual(delayMs - 50);
    expect(await g.exited).toEqual({ code: 0, signal: null });
    expect(stoppedLine(g)).toMatchObject({ signal: 'SIGTERM', forced: false });
  }, 30_000);
});

describe('graceful shutdown with Redis', () => {
  let redis: TestRedis;
  let client: Redis;
  const prefix = `batchql-shutdown-${process.pid}-${Date.now()}:`;

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    await client?.quit();
    await redis?.close();
  });

  it('hands its poll leases back, so the other replica polls the batch long before the lease would lapse', async () => {
    // A long lease: were it left to expire, the takeover would wait 20 to 30 s.
    const shared = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix, LIVE_LEASE_MS: '30000' };
    const replicas = await Promise.all(['s1', 's2'].map((name) => gateway({ ...shared, INSTANCE_ID: name })));
    const [batch] = runningCheckBatches(5).slice(4) as [string];
    const subs = replicas.map((g) => subscribe(sseClient(g.url), WATCH, { id: checkId(batch) }));
    await Promise.all(subs.map((s) => s.waitForEvents(1, 15_000)));
    // Check's watched batches are refreshed through its list: one lease for the provider and credential scope.
    const leaseKey = `${prefix}lease:bulk|FACT_CHECK|default|`;
    const holder = await client.get(leaseKey);
    expect(['s1', 's2']).toContain(holder);
    const victim = replicas[holder === 's1' ? 0 : 1]!;
    const survivor = holder === 's1' ? 's2' : 's1';

    victim.child.kill('SIGTERM');
    expect(await victim.exited).toEqual({ code: 0, signal: null });
    const stopped = stoppedLine(victim);
    expect(stopped, JSON.stringify(stopped)).toMatchObject({ leasesReleased: 1, sseStreamsClosed: 1, forced: false });
    // A clean stop warns about no outage: Redis was closed by the gateway itself, last.
    expect(victim.logs().filter((l) => /unreachable|Redis operation failed/.test(String(l.msg)))).toEqual([]);
    expect(await client.get(leaseKey)).not.toBe(holder);
    // The survivor retries every fifth of a lease (6 s ± 20 %) and finds the lease free.
    let owner: string | null = null;
    const deadline = Date.now() + 15_000;
    while (owner !== survivor && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      owner = await client.get(leaseKey);
    }
    expect(owner).toBe(survivor);
    for (const s of subs) s.close();
  }, 60_000);
});
