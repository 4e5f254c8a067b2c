import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGameballAdapter } from '../../src/providers/gameball/adapter.js';
import { createGameballHttpClient } from '../../src/providers/gameball/client.js';
import { createFactCheckAdapter } from '../../src/providers/factcheck/adapter.js';
import { createFactCheckHttpClient } from '../../src/providers/factcheck/client.js';
import type { UpstreamPolicy } from '../../src/upstream/policy.js';
import { createManualClock, startSimulators, type Simulators } from '../../src/dev/simulators/index.js';
import { FACTCHECK_PLANS } from '../../src/providers/factcheck/plans.js';
import { clientOptions } from '../helpers/config.js';

/**
 * The upstream policy (retries, breaker, bulkhead, shared GETs, deadline) through the real HTTP client
 * against a simulator.
 */
let sims: Simulators;
let id: string;
beforeAll(async () => {
  sims = await startSimulators({
    clock: createManualClock(Date.parse('2026-11-01T12:00:00Z')),
    seed: 2,
    batchCount: 40,
  });
  id = sims.gameball.control.idsByState().done![0]!;
});
afterAll(() => sims.close());
beforeEach(() => {
  for (const sim of sims.all()) (sim.control.resetCounters(), sim.control.clearFaults());
});

/** What every client here shares: the configuration's defaults. */
const shared = clientOptions();

function adapter(policy: Partial<UpstreamPolicy>, deadlineMs = 2_000) {
  const client = createGameballHttpClient({
    ...shared,
    rateLimit: [],
    baseUrl: sims.gameball.url,
    apiKey: sims.credentials.gameball.apiKey,
    secretKey: sims.credentials.gameball.secretKey,
    deadlineMs,
    connections: 8,
    policy: { ...shared.policy, retryBaseMs: 5, retryMaxMs: 20, ...policy },
  });
  return { provider: createGameballAdapter(client), client };
}
const requests = () => sims.gameball.control.totalRequests();

/** Check is the provider documented to send Retry-After (header and `error.retryAfter`). */
function checkAdapter(policy: Partial<UpstreamPolicy>, deadlineMs = 2_000) {
  return createFactCheckAdapter(
    createFactCheckHttpClient({
      ...shared,
      rateLimit: [],
      baseUrl: sims.factCheck.url,
      apiKey: sims.credentials.factCheck.apiKey,
      deadlineMs,
      connections: 8,
      policy: { ...shared.policy, retryBaseMs: 5, retryMaxMs: 20, ...policy },
    }),
    FACTCHECK_PLANS.pro,
  );
}
const checkRequests = () => sims.factCheck.control.totalRequests();

describe('retries', () => {
  it('retries an idempotent GET after 5xx and resets, then succeeds', async () => {
    const { provider } = adapter({ retries: 2 });
    sims.gameball.control.addFault({ kind: 'http5xx', status: 502, times: 1 });
    sims.gameball.control.addFault({ kind: 'reset', times: 1 });
    await expect(provider.get(id)).resolves.toMatchObject({ providerBatchId: id });
    expect(requests()).toBe(3);
  });

  it('gives up after the configured attempts with the provider named', async () => {
    const { provider } = adapter({ retries: 2, breakerThreshold: 100 });
    sims.gameball.control.setFault({ kind: 'http5xx', status: 500 });
    await expect(provider.get(id)).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE', provider: 'GAMEBALL' });
    expect(requests()).toBe(3);
  });

  it('does not retry client errors', async () => {
    const { provider } = adapter({ retries: 2 });
    await expect(provider.get('999999999')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(requests()).toBe(1);
  });

  it('does not retry a POST', async () => {
    const { client } = adapter({ retries: 2 });
    sims.gameball.control.setFault({ kind: 'http5xx', status: 503, times: 1 });
    await expect(client.stopBatch!(id)).rejects.toBeDefined();
    expect(requests()).toBe(1);
  });

  describe('Retry-After (Check)', () => {
    let checkId: string;
    beforeAll(() => {
      checkId = sims.factCheck.control.idsByState().done![0]!;
    });

    it('waits for a short Retry-After, and fails at once on one longer than the cap', async () => {
      const provider = checkAdapter({ retries: 1, retryAfterCapMs: 2_000 });
      sims.factCheck.control.setFault({ kind: 'rateLimit', retryAfterSeconds: 1, times: 1 });
      const started = Date.now();
      await expect(provider.get(checkId)).resolves.toMatchObject({ providerBatchId: checkId });
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      expect(checkRequests()).toBe(2);

      sims.factCheck.control.resetCounters();
      sims.factCheck.control.setFault({ kind: 'rateLimit', retryAfterSeconds: 30 });
      await expect(provider.get(checkId)).rejects.toMatchObject({
        code: 'PROVIDER_RATE_LIMITED',
        provider: 'FACT_CHECK',
        retryAfterMs: 30_000,
      });
      expect(checkRequests()).toBe(1);
    });

    it("reads the wait from the body's error.retryAfter when there is no header", async () => {
      const provider = checkAdapter({ retries: 1, retryAfterCapMs: 2_000 });
      sims.factCheck.control.setFault({ kind: 'rateLimit', retryAfterSeconds: 45, retryAfterHeader: false });
      await expect(provider.get(checkId)).rejects.toMatchObject({
        code: 'PROVIDER_RATE_LIMITED',
        retryAfterMs: 45_000,
      });
      expect(checkRequests()).toBe(1);
    });

    it("obeys Check's own rate limit: 429 with Retry-After until the window resets", async () => {
      const clock = createManualClock(Date.parse('2026-11-01T12:00:10Z'));
      const limited = await startSimulators({ clock, seed: 2, batchCount: 20, factCheckRateLimitPerMinute: 3 });
      try {
        const provider = createFactCheckAdapter(
          createFactCheckHttpClient({
            ...shared,
            rateLimit: [],
            baseUrl: `${limited.factCheck.url}/v1`,
            apiKey: limited.credentials.factCheck.apiKey,
            policy: { ...shared.policy, retries: 0 },
          }),
          FACTCHECK_PLANS.pro,
        );
        const id2 = limited.factCheck.control.idsByState().done![0]!;
        for (let i = 0; i < 3; i++) await expect(provider.get(id2)).resolves.toMatchObject({ providerBatchId: id2 });
        await expect(provider.get(id2)).rejects.toMatchObject({ code: 'PROVIDER_RATE_LIMITED', retryAfterMs: 50_000 });
        clock.advance(50_000);
        await expect(provider.get(id2)).resolves.toMatchObject({ providerBatchId: id2 });
      } finally {
        await limited.close();
      }
    });
  });

  it('fails a Gameball 429 (which carries no Retry-After) as rate limited after its retries', async () => {
    const { provider } = adapter({ retries: 1 });
    sims.gameball.control.setFault({ kind: 'rateLimit' });
    await expect(provider.get(id)).rejects.toMatchObject({ code: 'PROVIDER_RATE_LIMITED', provider: 'GAMEBALL' });
    expect(requests()).toBe(2);
  });

  it('keeps one deadline across all attempts', async () => {
    const { provider } = adapter({ retries: 3 }, 300);
    sims.gameball.control.setFault({ kind: 'hang' });
    const started = Date.now();
    await expect(provider.get(id)).rejects.toMatchObject({ code: 'PROVIDER_TIMEOUT', provider: 'GAMEBALL' });
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('circuit breaker', () => {
  it('opens after consecutive failures, fails fast without calling, then probes half-open and closes', async () => {
    const { provider, client } = adapter({ retries: 0, breakerThreshold: 3, breakerHalfOpenMs: 150 });
    sims.gameball.control.setFault({ kind: 'http5xx', status: 503 });
    for (let i = 0; i < 3; i++) await expect(provider.get(id)).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
    expect(client.circuit!()).toBe('OPEN');
    await expect(provider.get(id)).rejects.toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
      message: expect.stringMatching(/circuit open/),
    });
    expect(requests()).toBe(3);
    sims.gameball.control.clearFaults();
    await new Promise((r) => setTimeout(r, 200));
    await expect(provider.get(id)).resolves.toMatchObject({ providerBatchId: id });
    expect(client.circuit!()).toBe('CLOSED');
    expect(requests()).toBe(4);
  });

  it('is opened by a hanging provider even with retries (timeouts count)', async () => {
    const client = createGameballHttpClient({
      ...shared,
      rateLimit: [],
      baseUrl: sims.gameball.url,
      apiKey: sims.credentials.gameball.apiKey,
      secretKey: sims.credentials.gameball.secretKey,
      headersTimeoutMs: 150,
      deadlineMs: 250,
      policy: { ...shared.policy, retries: 2, breakerThreshold: 2, retryBaseMs: 5, retryMaxMs: 20 },
    });
    const provider = createGameballAdapter(client);
    sims.gameball.control.setFault({ kind: 'hang' });
    for (let i = 0; i < 2; i++) await expect(provider.get(id)).rejects.toMatchObject({ code: 'PROVIDER_TIMEOUT' });
    expect(client.circuit()).toBe('OPEN');
    await client.close();
  });

  it('is not opened by not-found answers', async () => {
    const { provider, client } = adapter({ retries: 0, breakerThreshold: 2 });
    for (let i = 0; i < 5; i++)
      await expect(provider.get(String(1_000_000_000 + i))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(client.circuit!()).toBe('CLOSED');
  });
});

describe('concurrency', () => {
  it('shares identical concurrent GETs', async () => {
    const { provider } = adapter({});
    sims.gameball.control.setFault({ kind: 'slow', delayMs: 100 });
    const results = await Promise.all(Array.from({ length: 10 }, () => provider.get(id)));
    expect(results.every((b) => b.providerBatchId === id)).toBe(true);
    expect(requests()).toBe(1);
  });

  it('bounds requests in flight per provider', async () => {
    const { provider } = adapter({ maxConcurrent: 2, maxQueued: 1, retries: 0 });
    sims.gameball.control.setFault({ kind: 'slow', delayMs: 150 });
    const ids = sims.gameball.control.idsByState().done!.slice(0, 6);
    const outcomes = await Promise.allSettled(
      ids.map((x) => provider.get(x, { signal: new AbortController().signal })),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
    expect(
      outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason.code),
    ).toEqual(['PROVIDER_UNAVAILABLE', 'PROVIDER_UNAVAILABLE', 'PROVIDER_UNAVAILABLE']);
    expect(requests()).toBe(3);
  });
});
