import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { PROVIDER_DEFINITIONS } from '../../src/providers/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';

/**
 * Issue 23, part 4: `X-RateLimit-Reset` is sanity-checked. Check's answers (through the real gateway
 * and HTTP client, the simulator setting the headers with a `headers` fault) say `Remaining: 0` with
 * a reset in Unix milliseconds, as an HTTP date or in seconds; the pause each implies ends within
 * Check's longest configured window (3 s here), shows in `/ready` and `Query.providers`, and a later
 * answer corrects it. The clocks run in real time, so the simulator's and the gateway's agree.
 */
let h: Harness;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NODE = `query ($id: ID!) { node(id: $id) { id } }`;
const PROVIDERS = '{ providers { provider pausedUntil } }';
const CAP_MS = 3_000;
let ids: string[];
let next = 0;
/** A finished Check batch not read before (no answer is shared or cached between steps). */
const fresh = () => ids[next++]!;
const path = (id: string) => `/v1/batch/${id}`;
const readCheck = (id: string) => h.gql(NODE, { id: toGlobalId('FACT_CHECK', id) });
const ready = async () => {
  const res = await fetch(h.url.replace(/\/graphql$/, '/ready'));
  return { status: res.status, body: (await res.json()) as { ready: boolean; pausedUntil?: Record<string, string> } };
};
const providersPaused = async () => {
  const res = await h.gql(PROVIDERS);
  expect(res.errors).toBeUndefined();
  return Object.fromEntries(
    (res.data.providers as { provider: string; pausedUntil: string | null }[]).map((p) => [p.provider, p.pausedUntil]),
  );
};

/** One Check read whose answer carries `Remaining: 0` and `reset`; the time around it. */
async function pausingAnswer(reset: (now: number) => string) {
  const id = fresh();
  const before = Date.now();
  h.sims.factCheck.control.setFault({
    kind: 'headers',
    pathPrefix: path(id),
    times: 1,
    headers: { 'X-RateLimit-Limit': '1000', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': reset(before) },
  });
  const res = await readCheck(id);
  expect(res.errors).toBeUndefined();
  return { before, after: Date.now() };
}

/** What `/ready` and `Query.providers` say of Check's pause (the same instant), with no other provider paused. */
async function shownPause(): Promise<number> {
  const r = await ready();
  expect(r.status).toBe(200);
  expect(r.body.ready).toBe(true);
  expect(Object.keys(r.body.pausedUntil ?? {})).toEqual(['FACT_CHECK']);
  const paused = await providersPaused();
  const others = Object.fromEntries(PROVIDER_DEFINITIONS.map((d) => [d.name, null]));
  expect(paused).toEqual({ ...others, FACT_CHECK: r.body.pausedUntil!.FACT_CHECK });
  return Date.parse(paused.FACT_CHECK!);
}

/** While paused, a Check read is refused without a call; Reach still serves. */
async function refusedWhilePaused(): Promise<void> {
  const sent = h.sims.factCheck.control.totalRequests();
  const refused = await readCheck(fresh());
  expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'PROVIDER_RATE_LIMITED', provider: 'FACT_CHECK' });
  expect(Number(refused.errors?.[0]?.extensions?.retryAfterMs)).toBeLessThanOrEqual(CAP_MS);
  expect(h.sims.factCheck.control.totalRequests()).toBe(sent);
  const reach = h.sims.reach.control.idsByState().done![0]!;
  expect((await h.gql(NODE, { id: toGlobalId('REACH', reach) })).errors).toBeUndefined();
}

/** Once the pause is over, a Check read goes out, and its answer (Remaining well above 0) ends the pause. */
async function resumesAfter(until: number): Promise<void> {
  await sleep(Math.max(0, until - Date.now()) + 50);
  expect((await readCheck(fresh())).errors).toBeUndefined();
  expect((await providersPaused()).FACT_CHECK).toBeNull();
  expect((await ready()).body.pausedUntil).toBeUndefined();
}

beforeAll(async () => {
  h = await startHarness({
    batchCount: 120,
    realTime: true,
    // Check's budget: one 3 s window, so the cap is 3 s; every wait longer than 0.5 s is refused at once.
    env: { FACTCHECK_RATE_LIMIT: '1000/3s', UPSTREAM_BUDGET_WAIT_MS: '500' },
  });
  ids = h.sims.factCheck.control.idsByState().done!;
  expect(ids.length).toBeGreaterThan(30);
});
afterAll(() => h?.close());
beforeEach(() => h.resetCounters());

describe('X-RateLimit-Reset with Remaining: 0', () => {
  it('in Unix milliseconds an hour ahead: pauses Check for the cap (its longest window), not for ever', async () => {
    const { before, after } = await pausingAnswer((now) => String(now + 3_600_000));
    const until = await shownPause();
    expect(until).toBeGreaterThanOrEqual(before + CAP_MS);
    expect(until).toBeLessThanOrEqual(after + CAP_MS);
    await refusedWhilePaused();
    await resumesAfter(until);
  });

  it('in Unix milliseconds 2.5 s ahead: read as milliseconds, so Check pauses until then', async () => {
    let reset = 0;
    await pausingAnswer((now) => String((reset = now + 2_500)));
    expect(await shownPause()).toBe(reset);
    await refusedWhilePaused();
    await resumesAfter(reset);
  });

  it('as an HTTP date: Check pauses until that date', async () => {
    let date = '';
    await pausingAnswer((now) => (date = new Date(now + 2_500).toUTCString()));
    const until = await shownPause();
    expect(until).toBe(Date.parse(date));
    await refusedWhilePaused();
    await resumesAfter(until);
  });

  it('in Unix seconds, as Check documents it: Check pauses until then, as before', async () => {
    let seconds = 0;
    await pausingAnswer((now) => String((seconds = Math.ceil((now + 2_000) / 1000))));
    expect(await shownPause()).toBe(seconds * 1000);
    await refusedWhilePaused();
    await resumesAfter(seconds * 1000);
  });

  it('in seconds from now (a small number): Check pauses that long', async () => {
    const { before, after } = await pausingAnswer(() => '2');
    const until = await shownPause();
    expect(until).toBeGreaterThanOrEqual(before + 2_000);
    expect(until).toBeLessThanOrEqual(after + 2_000);
    await refusedWhilePaused();
    await resumesAfter(until);
  });

  it('is corrected by a later answer with Remaining above 0, without waiting for the reset', async () => {
    // A slow read goes out first; a fast one comes back with Remaining 0 and a reset in milliseconds.
    const slow = fresh();
    h.sims.factCheck.control.addFault({ kind: 'slow', delayMs: 500, pathPrefix: path(slow) });
    const later = readCheck(slow);
    await sleep(50);
    await pausingAnswer((now) => String(now + 3_600_000));
    expect(await shownPause()).toBeGreaterThan(Date.now());
    // The slow read's answer says what the simulator's window really holds: the pause ends with it.
    expect((await later).errors).toBeUndefined();
    expect((await providersPaused()).FACT_CHECK).toBeNull();
    expect((await ready()).body.pausedUntil).toBeUndefined();
    const sent = h.sims.factCheck.control.totalRequests();
    expect((await readCheck(fresh())).errors).toBeUndefined();
    expect(h.sims.factCheck.control.totalRequests()).toBe(sent + 1);
  });
});

describe('a provider without configured windows', () => {
  it('is paused by a millisecond reset for at most 60 s (Reach documents no rate limit)', async () => {
    const own = await startHarness({ batchCount: 30, realTime: true });
    try {
      const id = own.sims.reach.control.idsByState().done![0]!;
      own.sims.reach.control.setFault({
        kind: 'headers',
        times: 1,
        headers: {
          'X-RateLimit-Limit': '100',
          'X-RateLimit-Remaining': '0',
          'X-RateLimit-Reset': String(Date.now() + 3_600_000),
        },
      });
      const before = Date.now();
      expect((await own.gql(NODE, { id: toGlobalId('REACH', id) })).errors).toBeUndefined();
      const after = Date.now();
      const res = await fetch(own.url.replace(/\/graphql$/, '/ready'));
      expect(res.status).toBe(200);
      const body = (await res.json()) as { pausedUntil?: Record<string, string> };
      expect(Object.keys(body.pausedUntil ?? {})).toEqual(['REACH']);
      const until = Date.parse(body.pausedUntil!.REACH!);
      expect(until).toBeGreaterThanOrEqual(before + 60_000);
      expect(until).toBeLessThanOrEqual(after + 60_000);
      // Check and Gameball still serve.
      const check = own.sims.factCheck.control.idsByState().done![0]!;
      expect((await own.gql(NODE, { id: toGlobalId('FACT_CHECK', check) })).errors).toBeUndefined();
    } finally {
      await own.close();
    }
  });
});
