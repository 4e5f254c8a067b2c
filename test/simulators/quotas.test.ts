import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createFactCheckSimulator,
  createManualClock,
  startSimulators,
  type ManualClock,
  type Simulator,
  type Simulators,
  type StartSimulatorsOptions,
} from '../../src/dev/simulators/index.js';

/** A minute and a 30-second boundary of the clock. */
const START = Date.parse('2026-11-01T12:00:00Z');
const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function start(clock: ManualClock, o: Partial<StartSimulatorsOptions> = {}): Promise<Simulators> {
  const sims = await startSimulators({ clock, seed: 3, batchCount: 40, ...o });
  open.push(sims);
  return sims;
}

async function call(url: string, headers: Record<string, string>, method: 'GET' | 'POST' = 'GET') {
  const res = await request(url, { method, headers });
  const text = await res.body.text();
  const one = (name: string) => {
    const v = res.headers[name];
    return Array.isArray(v) ? v.join(',') : v;
  };
  return {
    status: res.statusCode,
    header: one,
    body: text ? (JSON.parse(text) as any) : undefined,
  };
}

describe('Check plans', () => {
  const checkGet = (sims: Simulators, id: string, key = sims.credentials.factCheck.apiKey) =>
    call(`${sims.factCheck.url}/v1/batch/${id}`, { authorization: `Bearer ${key}` });

  it('free: 20 a minute, exact X-RateLimit-* headers; the 21st: 429 + Retry-After till the minute ends', async () => {
    const clock = createManualClock(START + 10_000);
    const sims = await start(clock, { factCheckPlan: 'free' });
    const id = sims.factCheck.control.idsByState().done![0]!;
    const reset = String((START + 60_000) / 1000);
    for (let i = 1; i <= 20; i++) {
      const res = await checkGet(sims, id);
      expect(res.status).toBe(200);
      expect(res.header('x-ratelimit-limit')).toBe('20');
      expect(res.header('x-ratelimit-remaining')).toBe(String(20 - i));
      expect(res.header('x-ratelimit-reset')).toBe(reset);
      expect(res.header('retry-after')).toBeUndefined();
    }
    expect(sims.factCheck.control.refused()).toBe(0);

    const refused = await checkGet(sims, id);
    expect(refused.status).toBe(429);
    expect(refused.header('retry-after')).toBe('50');
    expect(refused.body).toMatchObject({ error: { code: 'rate_limited', retryAfter: 50 } });
    expect(refused.header('x-ratelimit-limit')).toBe('20');
    expect(refused.header('x-ratelimit-remaining')).toBe('0');
    expect(refused.header('x-ratelimit-reset')).toBe(reset);
    expect(sims.factCheck.control.refused()).toBe(1);
    expect(sims.factCheck.control.totalRequests()).toBe(21);

    // Still refused in the last millisecond of the minute: the wait rounds up to 1 s.
    clock.set(START + 59_999);
    const last = await checkGet(sims, id);
    expect(last.status).toBe(429);
    expect(last.header('retry-after')).toBe('1');
    expect(last.body.error.retryAfter).toBe(1);
    expect(sims.factCheck.control.refused()).toBe(2);

    // A new minute: the whole quota again, counted down from 19.
    clock.set(START + 60_000);
    const again = await checkGet(sims, id);
    expect(again.status).toBe(200);
    expect(again.header('x-ratelimit-remaining')).toBe('19');
    expect(again.header('x-ratelimit-reset')).toBe(String((START + 120_000) / 1000));
    expect(sims.factCheck.control.refused()).toBe(2);

    // The count is also over HTTP, and resetCounters clears it.
    expect((await call(`${sims.factCheck.url}/__sim/counters`, {})).body.refused).toBe(2);
    sims.factCheck.control.resetCounters();
    expect(sims.factCheck.control.refused()).toBe(0);
  });

  it('counts every request, whatever its answer, and not injected 429s as refusals', async () => {
    const clock = createManualClock(START);
    const sims = await start(clock, { factCheckPlan: 'free' });
    const remaining = async (res: Promise<{ header(n: string): string | undefined; status: number }>) => {
      const r = await res;
      return [r.status, r.header('x-ratelimit-remaining')];
    };
    expect(await remaining(checkGet(sims, 'batch_000000000000'))).toEqual([404, '19']);
    expect(await remaining(checkGet(sims, 'batch_000000000000', 'vfy_wrong'))).toEqual([401, '18']);
    expect(await remaining(call(`${sims.factCheck.url}/v1/nowhere`, {}))).toEqual([404, '17']);
    sims.factCheck.control.setFault({ kind: 'rateLimit', retryAfterSeconds: 5, times: 1 });
    expect(await remaining(checkGet(sims, 'batch_000000000000'))).toEqual([429, '16']);
    expect(sims.factCheck.control.refused()).toBe(0);
  });

  it('maps pro, enterprise and unlimited to 200, 1,000 and 1,000,000; a rate overrides the plan', async () => {
    const clock = createManualClock(START);
    const limitOf = async (sim: Simulator) =>
      (await call(`${sim.url}/v1/batch?limit=1`, { authorization: 'Bearer vfy_sim_factcheck_key' })).header(
        'x-ratelimit-limit',
      );
    for (const [plan, limit] of [
      ['pro', '200'],
      ['enterprise', '1000'],
      ['unlimited', '1000000'],
    ] as const) {
      const sim = await createFactCheckSimulator({ clock, seed: 3, batchCount: 5, plan });
      open.push(sim);
      expect(await limitOf(sim)).toBe(limit);
    }
    expect(await limitOf((await start(clock)).factCheck)).toBe('1000000');
    const overridden = await start(clock, { factCheckPlan: 'enterprise', factCheckRateLimitPerMinute: 2 });
    expect(await limitOf(overridden.factCheck)).toBe('2');
    expect(await limitOf(overridden.factCheck)).toBe('2');
    const third = await call(`${overridden.factCheck.url}/v1/batch?limit=1`, {
      authorization: `Bearer ${overridden.credentials.factCheck.apiKey}`,
    });
    expect(third.status).toBe(429);
    expect(third.header('retry-after')).toBe('60');
  });
});

describe('Gameball windows', () => {
  const path = (sims: Simulators, id: string, op: 'status' | 'stop' = 'status') =>
    `${sims.gameball.url}/api/v4.0/integrations/batches/${id}/${op}`;
  const gbAuth = (sims: Simulators) => ({
    apikey: sims.credentials.gameball.apiKey,
    secretkey: sims.credentials.gameball.secretKey,
  });

  it('documented: refuses the 31st request within one second, in the flat envelope, and recovers', async () => {
    const clock = createManualClock(START);
    const sims = await start(clock, { gameballRateLimits: 'documented' });
    const id = sims.gameball.control.idsByState().done![0]!;
    for (let i = 0; i < 30; i++) expect((await call(path(sims, id), gbAuth(sims))).status).toBe(200);
    const refused = await call(path(sims, id), gbAuth(sims));
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 2029, type: 'RATE_LIMIT_ERROR' });
    expect(refused.body.requestId).toEqual(expect.any(String));
    // Gameball documents neither Retry-After nor X-RateLimit-* headers; by default the simulator sends neither.
    expect(refused.header('retry-after')).toBeUndefined();
    expect(refused.header('x-ratelimit-limit')).toBeUndefined();
    expect(sims.gameball.control.refused()).toBe(1);
    clock.advance(999);
    expect((await call(path(sims, id), gbAuth(sims))).status).toBe(429);
    clock.advance(1);
    expect((await call(path(sims, id), gbAuth(sims))).status).toBe(200);
    expect(sims.gameball.control.refused()).toBe(2);
  });

  it('documented: refuses the 361st request within 30 s across both batch endpoints, and recovers', async () => {
    const clock = createManualClock(START + 30_000);
    const sims = await start(clock, { gameballRateLimits: 'documented' });
    const done = sims.gameball.control.idsByState().done![0]!;
    for (let second = 0; second < 12; second++) {
      clock.set(START + 30_000 + second * 1_000);
      for (let i = 0; i < 30; i++) {
        // The stop of a finished batch changes nothing, and shares the "Others" resource with status.
        const res = await call(
          path(sims, done, i % 10 === 0 ? 'stop' : 'status'),
          gbAuth(sims),
          i % 10 ? 'GET' : 'POST',
        );
        expect(res.status, `second ${second}, request ${i}`).toBe(200);
      }
    }
    expect(sims.gameball.control.refused()).toBe(0);
    clock.set(START + 42_000); // a fresh second, but the 361st in the 30 s window
    expect((await call(path(sims, done), gbAuth(sims))).status).toBe(429);
    expect((await call(path(sims, done, 'stop'), gbAuth(sims), 'POST')).status).toBe(429);
    // Paths outside the batch resource are not limited.
    expect((await call(`${sims.gameball.url}/api/v4.0/elsewhere`, gbAuth(sims))).status).toBe(404);
    clock.set(START + 59_999);
    expect((await call(path(sims, done), gbAuth(sims))).status).toBe(429);
    expect(sims.gameball.control.refused()).toBe(3);
    clock.set(START + 60_000);
    expect((await call(path(sims, done), gbAuth(sims))).status).toBe(200);
    expect(sims.gameball.control.totalRequests()).toBe(360 + 3 + 1 + 1);
  });

  it('takes custom windows, with Retry-After on request, and refused requests use no quota', async () => {
    const clock = createManualClock(START + 10_500);
    const sims = await start(clock, { gameballRateLimits: { perSecond: 2, per30s: 3, retryAfter: true } });
    const id = sims.gameball.control.idsByState().done![0]!;
    expect((await call(path(sims, id), gbAuth(sims))).status).toBe(200);
    expect((await call(path(sims, id), gbAuth(sims))).status).toBe(200);
    const perSecond = await call(path(sims, id), gbAuth(sims));
    expect([perSecond.status, perSecond.header('retry-after')]).toEqual([429, '1']);
    clock.set(START + 11_000);
    expect((await call(path(sims, id), gbAuth(sims))).status).toBe(200); // the 3rd in 30 s: the refusal used none
    const per30s = await call(path(sims, id), gbAuth(sims));
    expect([per30s.status, per30s.header('retry-after')]).toEqual([429, '19']);
    expect(sims.gameball.control.refused()).toBe(2);
  });

  it("is off by default ('none')", async () => {
    const clock = createManualClock(START);
    const sims = await start(clock);
    const id = sims.gameball.control.idsByState().done![0]!;
    for (let i = 0; i < 40; i++) expect((await call(path(sims, id), gbAuth(sims))).status).toBe(200);
    expect(sims.gameball.control.refused()).toBe(0);
  });
});

describe('data profiles', () => {
  it('longRunning: at least 200 of 250 batches still running after 3 minutes, on every simulator', async () => {
    const clock = createManualClock(START);
    const sims = await start(clock, { seed: 1, batchCount: 250, profile: 'longRunning' });
    const keys = ['reach', 'gameball', 'factCheck'] as const;
    const at0 = Object.fromEntries(keys.map((k) => [k, sims[k].control.idsByState()]));
    clock.advance(3 * 60_000);
    for (const key of keys) {
      const now = sims[key].control.idsByState();
      // Reach's idsByState lists its first tenant's batches only: 200 of the 250.
      expect(now.running!.length, key).toBeGreaterThanOrEqual(key === 'reach' ? 180 : 200);
      expect(now.running, key).toEqual(expect.arrayContaining(at0[key]!.running!));
      expect(now.queued, key).toEqual([]);
      for (const state of ['done', 'partial', 'failed'])
        expect(now[state]!.length, `${key} ${state}`).toBeGreaterThan(0);
      if (key !== 'reach') expect(now.cancelled!.length, key).toBeGreaterThan(0);
    }
    clock.advance(20 * 60_000);
    for (const sim of sims.all()) expect(sim.control.idsByState().running).toEqual([]);
  });

  it('longRunning is deterministic for a seed; the default is the mixed data set', async () => {
    const clock = createManualClock(START);
    const [a, b, mixed, plain] = await Promise.all([
      start(clock, { profile: 'longRunning' }),
      start(clock, { profile: 'longRunning' }),
      start(clock, { profile: 'mixed' }),
      start(clock),
    ]);
    expect(a.gameball.control.idsByState()).toEqual(b.gameball.control.idsByState());
    expect(mixed.reach.control.idsByState()).toEqual(plain.reach.control.idsByState());
    expect(mixed.factCheck.control.idsByState()).toEqual(plain.factCheck.control.idsByState());
  });

  it('durationMs sets how long batches run; finished slots stay finished with long durations', async () => {
    const clock = createManualClock(START);
    const sims = await start(clock, { batchCount: 100, durationMs: { min: 7_200_000, max: 7_200_000 } });
    const states = sims.factCheck.control.idsByState();
    for (const state of ['queued', 'running', 'done', 'partial', 'failed', 'cancelled'])
      expect(states[state]!.length, state).toBeGreaterThan(0);
    const id = states.running![0]!;
    const started = sims.factCheck.control.changedAt(id, 0)!;
    expect(sims.factCheck.control.changedAt(id, Number.MAX_SAFE_INTEGER)! - started).toBe(7_200_000);
    await expect(start(clock, { durationMs: { min: 10, max: 5 } })).rejects.toThrow(RangeError);
  });
});
