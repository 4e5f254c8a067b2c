import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { toGlobalId } from '../../src/domain/global-id.js';
import { simulatorEnv } from '../../src/dev/gateway-env.js';
import { sign } from '../../src/providers/factcheck/webhook-signature.js';
import { startGateway, type RunningGateway } from '../../src/runtime.js';
import {
  createManualClock,
  startSimulators,
  type Simulators,
  type WebhookDelivery,
} from '../../src/dev/simulators/index.js';
import { FAST_LIVE_ENV } from '../helpers/harness.js';
import { sseClient, subscribe, type LiveSubscription } from '../helpers/live-clients.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { until } from '../helpers/until.js';
import { freshDataDir } from '../helpers/data-dir.js';

/**
 * Check webhooks end to end: the Check simulator signs and posts `batch.completed` to one of two
 * gateway replicas sharing a real Redis; subscribers on both replicas get the terminal state and
 * the batch stops being polled. Polling is slowed to ten minutes between reads, so every upstream
 * read the simulator counts here is a webhook's confirming read, never a poll that saw the end.
 */
const SECRET = 'whsec_test_0123456789abcdef';
const SLOW = '600000';
const clock = createManualClock(Date.parse('2026-11-01T12:00:00Z'));
let redis: TestRedis;
let sims: Simulators;
const replicas: RunningGateway[] = [];
const logs: string[][] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const WATCH = /* GraphQL */ `
  subscription W($id: ID!) {
    batch(id: $id) {
      providerBatchId
      status
      isTerminal
      ... on FactCheckBatch {
        nextRefreshAt
      }
      progress {
        processed
      }
    }
  }
`;

function baseEnv(): Record<string, string> {
  return {
    ...simulatorEnv(sims),
    PORT: '0',
    ...FAST_LIVE_ENV,
    LIVE_POLL_RUNNING_MS: SLOW,
    LIVE_POLL_IDLE_MS: SLOW,
    LIVE_POLL_IDLE_MAX_MS: SLOW,
    LIVE_POLL_PENDING_MS: SLOW,
  };
}

async function start(env: Record<string, string>): Promise<RunningGateway> {
  const lines: string[] = [];
  logs.push(lines);
  return startGateway(loadConfig({ DATA_DIR: freshDataDir(), ...env }), {
    host: '127.0.0.1',
    now: clock.now,
    logDestination: { write: (line: string) => void lines.push(line) },
  });
}

const hookUrl = (g: RunningGateway) => `http://127.0.0.1:${g.port}/webhooks/check`;

/** Posts a body to a gateway's webhook route, signed as given. */
async function post(
  g: RunningGateway,
  body: string,
  signature: string | undefined,
): Promise<{ status: number; body: any }> {
  const res = await fetch(hookUrl(g), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(signature ? { 'x-check-signature': signature } : {}) },
    body,
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON (yoga's 404 page): kept as text.
  }
  return { status: res.status, body: parsed };
}

/** The simulator's control API: its webhook deliveries and upstream request counts. */
async function simControl(path: string, input?: unknown): Promise<any> {
  const res = await fetch(`${sims.factCheck.url}/__sim/${path}`, {
    method: input === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    ...(input === undefined ? {} : { body: JSON.stringify(input) }),
  });
  return res.status === 204 ? undefined : res.json();
}
const deliveries = async (): Promise<WebhookDelivery[]> => (await simControl('webhooks')).deliveries;
const reads = (id: string) =>
  sims.factCheck.control.requests().filter((r) => r.method === 'GET' && r.path === `/v1/batch/${id}`).length;
const polling = () => replicas.reduce((n, g) => n + g.live.hub.stats().pollingKeys, 0);
const watched = () => replicas.reduce((n, g) => n + g.live.hub.stats().watchedKeys, 0);

/** When a running batch finishes in the model. */
const finishOf = (id: string) => sims.factCheck.control.changedAt(id, Number.MAX_SAFE_INTEGER)!;

/** Subscribers to one batch on both replicas (or those given), once each has a first state and one replica polls. */
async function watchOnBoth(id: string, on: RunningGateway[] = replicas): Promise<LiveSubscription[]> {
  const subs = on.flatMap((g) =>
    [0, 1].map(() =>
      subscribe(sseClient(`http://127.0.0.1:${g.port}/graphql`), WATCH, { id: toGlobalId('FACT_CHECK', id) }),
    ),
  );
  await Promise.all(subs.map((s) => s.waitForEvents(1, 15_000)));
  await until(() => polling() === 1, 5_000, 'one replica polls the batch');
  return subs;
}

/** An event for `id` as Check would send it (the simulator's envelope), signed by the test. */
function event(id: string, type = 'batch.completed', eventId = `evt_test${Math.random().toString(16).slice(2)}`) {
  return JSON.stringify({ id: eventId, type, createdAt: new Date(clock.now()).toISOString(), data: { id } });
}

let running: string[];
beforeAll(async () => {
  redis = await startRedis();
  sims = await startSimulators({ clock, seed: 43, batchCount: 100 });
  const shared = {
    ...baseEnv(),
    FACTCHECK_WEBHOOK_SECRET: SECRET,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: `batchql-webhooks-${process.pid}-${Date.now()}:`,
  };
  replicas.push(await start({ ...shared, INSTANCE_ID: 'w1' }), await start({ ...shared, INSTANCE_ID: 'w2' }));
  // The simulator posts to the first replica only: the second hears of it through Redis.
  await simControl('webhooks', { url: hookUrl(replicas[0]!), secret: SECRET });
  running = [...sims.factCheck.control.idsByState().running!].sort((a, b) => finishOf(a) - finishOf(b));
}, 60_000);

afterAll(async () => {
  await Promise.all(replicas.map((g) => g.close()));
  await sims?.close();
  await redis?.close();
});

describe('Check webhooks on two replicas sharing Redis', () => {
  let settled: WebhookDelivery;

  it('a signed batch.completed from the simulator ends polling and reaches subscribers on both replicas', async () => {
    const id = running[0]!;
    const subs = await watchOnBoth(id);
    for (const s of subs) expect(s.events.at(-1).batch.isTerminal).toBe(false);
    sims.factCheck.control.resetCounters();

    // The batch finishes in the simulator's clock; its next look for finished batches sends the event.
    clock.set(finishOf(id) + 1_000);
    await simControl('webhooks/check', {});
    let sent: WebhookDelivery[] = [];
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      sent = (await deliveries()).filter((d) => d.batchId === id && d.status !== null);
      if (sent.length > 0) break;
      await sleep(20);
    }
    expect(sent).toHaveLength(1);
    settled = sent[0]!;
    expect(settled.type).toBe('batch.completed');
    expect(settled.status).toBe(200);
    expect(settled.response).toEqual({ received: true, settled: true, status: expect.any(String) });

    await Promise.all(subs.map((s) => s.ended));
    for (const s of subs) {
      expect(s.errors).toEqual([]);
      const last = s.events.at(-1).batch;
      expect(last).toMatchObject({ providerBatchId: id, isTerminal: true, nextRefreshAt: null });
      expect(['SUCCEEDED', 'PARTIALLY_SUCCEEDED']).toContain(last.status);
    }
    await until(() => polling() === 0 && watched() === 0, 2_000, 'no replica polls or watches the batch');
    // One confirming read, made by the replica the event reached; no poll.
    expect(reads(id)).toBe(1);
    expect(sims.factCheck.control.totalRequests()).toBe(1);
    const metrics = await (await fetch(`http://127.0.0.1:${replicas[0]!.port}/metrics`)).text();
    expect(metrics).toMatch(/batchql_webhooks_total\{provider="FACT_CHECK",outcome="settled"\} 1/);
  }, 30_000);

  it('a replica without watches of the batch settles it on the others (broadcast over Redis)', async () => {
    const id = running[1]!;
    // Subscribers on the second replica only; the simulator posts to the first, which watches nothing.
    const subs = await watchOnBoth(id, [replicas[1]!]);
    expect(replicas[0]!.live.hub.stats().watchedKeys).toBe(0);
    sims.factCheck.control.resetCounters();
    clock.set(Math.max(clock.now(), finishOf(id)) + 1_000);
    const sent = (await simControl('webhooks/check', {})) as WebhookDelivery[];
    await until(() => subs.every((s) => s.isEnded()), 5_000, 'subscribers on the other replica ended');
    const mine = [...sent, ...(await deliveries())].filter((d) => d.batchId === id && d.status !== null);
    expect(mine[0]?.status).toBe(200);
    for (const s of subs) expect(s.events.at(-1).batch).toMatchObject({ isTerminal: true, nextRefreshAt: null });
    await until(() => polling() === 0 && watched() === 0, 2_000, 'no replica polls or watches the batch');
    expect(reads(id)).toBe(1);
  }, 30_000);

  it('a replayed event id changes nothing, on the replica it reached nor on the other one', async () => {
    sims.factCheck.control.resetCounters();
    for (const g of replicas) {
      const replay = await post(g, settled.body, settled.signature);
      expect(replay).toEqual({ status: 200, body: { received: true, duplicate: true } });
    }
    // The same event id with a fresh signature (a new delivery attempt) is refused as well.
    const again = await post(replicas[1]!, settled.body, sign(SECRET, settled.body, clock.now()));
    expect(again.body).toEqual({ received: true, duplicate: true });
    expect(sims.factCheck.control.totalRequests()).toBe(0);
    expect(watched()).toBe(0);
  });

  it('forged, stale, malformed, unknown and oversized events are refused with no effect', async () => {
    const id = running.at(-1)!;
    expect(finishOf(id), 'a batch still running at the test clock').toBeGreaterThan(clock.now() + 60_000);
    const subs = await watchOnBoth(id);
    const seen = subs.map((s) => s.events.length);
    sims.factCheck.control.resetCounters();
    const now = clock.now();
    const marker = 'FORGED-BODY-MARKER';
    const good = event(id);
    const cases: [string, RunningGateway, string, string | undefined, number, string][] = [
      [
        'forged',
        replicas[0]!,
        event(id, 'batch.completed', `evt_${marker}`),
        sign('not-the-secret', good, now),
        401,
        'invalid_signature',
      ],
      ['unsigned', replicas[1]!, good, undefined, 401, 'invalid_signature'],
      ['garbled header', replicas[0]!, good, 't=abc,v1=zz', 401, 'invalid_signature'],
      ['signed for another body', replicas[1]!, good, sign(SECRET, event(id), now), 401, 'invalid_signature'],
      ['stale', replicas[0]!, good, sign(SECRET, good, now - 6 * 60_000), 401, 'stale_timestamp'],
      ['from the future', replicas[1]!, good, sign(SECRET, good, now + 6 * 60_000), 401, 'stale_timestamp'],
      [
        'bad JSON',
        replicas[0]!,
        `{"id":"evt_1",${marker}`,
        sign(SECRET, `{"id":"evt_1",${marker}`, now),
        400,
        'invalid_json',
      ],
      ['unknown type', replicas[1]!, event(id, 'verification.completed'), undefined, 400, 'unsupported_event_type'],
      [
        'no batch id',
        replicas[0]!,
        JSON.stringify({ id: 'evt_nobatch', type: 'batch.failed', data: {} }),
        undefined,
        400,
        'invalid_event',
      ],
    ];
    for (const [name, g, body, signature, status, code] of cases) {
      const signed = signature ?? (name === 'unsigned' ? undefined : sign(SECRET, body, now));
      const answer = await post(g, body, signed);
      expect(answer.status, name).toBe(status);
      expect(answer.body, name).toEqual({ error: { code, message: expect.any(String) } });
    }
    const big = JSON.stringify({ id: 'evt_big', type: 'batch.completed', data: { id, pad: 'x'.repeat(300_000) } });
    const tooBig = await post(replicas[0]!, big, sign(SECRET, big, now));
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error.code).toBe('too_large');

    await sleep(200);
    expect(sims.factCheck.control.totalRequests()).toBe(0);
    expect(polling()).toBe(1);
    subs.forEach((s, i) => {
      expect(s.isEnded()).toBe(false);
      expect(s.events.length).toBe(seen[i]);
    });
    // Logged at warn, without the body.
    const refusals = logs.flat().filter((l) => l.includes('Check webhook refused'));
    expect(refusals.length).toBeGreaterThanOrEqual(cases.length + 1);
    expect(refusals.every((l) => JSON.parse(l).level === 40)).toBe(true);
    expect(logs.flat().some((l) => l.includes(marker))).toBe(false);

    // A genuine event for a batch Check still runs: one confirming read, 202, and polling goes on.
    const early = await post(replicas[1]!, good, sign(SECRET, good, now));
    expect(early.status).toBe(202);
    expect(early.body).toMatchObject({ received: true, settled: false });
    expect(reads(id)).toBe(1);
    await sleep(100);
    expect(polling()).toBe(1);
    for (const s of subs) expect(s.isEnded()).toBe(false);
    for (const s of subs) s.close();
    await until(() => watched() === 0, 2_000, 'subscriptions closed');
  }, 30_000);
});

describe('without FACTCHECK_WEBHOOK_SECRET', () => {
  it('there is no webhook route: 404 like any unknown path', async () => {
    const plain = await start(baseEnv());
    try {
      const body = event(running[0]!);
      const hook = await post(plain, body, sign(SECRET, body, clock.now()));
      const unknown = await fetch(`http://127.0.0.1:${plain.port}/no-such-path`, { method: 'POST', body });
      expect(hook.status).toBe(404);
      expect(unknown.status).toBe(404);
      // With the secret, the route exists (and wants POST).
      expect((await fetch(hookUrl(replicas[0]!))).status).toBe(405);
    } finally {
      await plain.close();
    }
  });
});
