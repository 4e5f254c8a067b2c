import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Client as SseClient } from 'graphql-sse';
import type { Client as WsClient } from 'graphql-ws';
import { toGlobalId } from '../../src/domain/global-id.js';
import { OVERDUE_MIN_MS } from '../../src/live/overdue.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { sseClient, wsClient } from '../helpers/live-clients.js';
import { until } from '../helpers/until.js';

/**
 * Honest staleness: a live Check stream whose read is held back (a slow or hanging provider, a
 * spent request budget) is marked stale with why (`OVERDUE`, `BUDGET_WAIT`) within about two
 * intervals, a failing read with `POLL_FAILED`; no event carries a `nextRefreshAt` already in the
 * past; and the next reading sets `stale: false`, `staleReason: null` again. For both the
 * per-batch poll loop and Check's bulk refresh through its list, against the simulators.
 */

const WATCH = `subscription ($id: ID!) {
  batch(id: $id) { id stale staleReason observedAt nextRefreshAt progress { processed } }
}`;
/**
 * Polling every 300 ms (rather than the harness's 40 ms), so an event's way from the gateway to the
 * test's client (both in this process) stays well below an interval, even on a busy machine.
 */
const POLL_ENV = {
  LIVE_POLL_RUNNING_MS: '300',
  LIVE_POLL_IDLE_MS: '300',
  LIVE_POLL_IDLE_MAX_MS: '600',
  LIVE_POLL_PENDING_MS: '600',
  LIVE_POLL_ERROR_MS: '300',
  LIVE_POLL_ERROR_MAX_MS: '600',
};
/** Time an event may take from the gateway to the test's client. */
const TRANSIT_MS = 150;
/** Timer and event-loop slack on top of the planned deadlines. */
const SLACK_MS = 700;

/** One event of a stream with the moment it arrived. */
interface Stamped {
  at: number;
  batch: any;
}

/** A subscription that stamps each event with its arrival time. */
function watch(client: SseClient | WsClient, id: string) {
  const events: Stamped[] = [];
  const errors: unknown[] = [];
  const stop = client.subscribe({ query: WATCH, variables: { id: toGlobalId('FACT_CHECK', id) } }, {
    next: (v: { data?: any; errors?: unknown[] }) => {
      if (v.errors) errors.push(...v.errors);
      if (v.data?.batch) events.push({ at: Date.now(), batch: v.data.batch });
    },
    error: (e: unknown) => errors.push(e),
    complete: () => {},
  } as never);
  return { events, errors, close: stop as () => void };
}

/** The first event from `from` on that satisfies `test` (waits up to `timeoutMs`). */
async function nextEvent(
  events: Stamped[],
  from: number,
  test: (b: any) => boolean,
  timeoutMs: number,
  what: string,
): Promise<Stamped> {
  await until(() => events.some((e) => e.at >= from && test(e.batch)), timeoutMs, what);
  return events.find((e) => e.at >= from && test(e.batch))!;
}

/** No event ever announced a next read that had already passed when it arrived. */
function expectNoPastRefresh(events: Stamped[]): void {
  for (const e of events) {
    if (e.batch.nextRefreshAt === null) continue;
    expect(Date.parse(e.batch.nextRefreshAt), JSON.stringify(e)).toBeGreaterThanOrEqual(e.at - TRANSIT_MS);
  }
}

/** stale and staleReason agree on every event. */
function expectConsistent(events: Stamped[]): void {
  for (const e of events) expect(e.batch.stale, JSON.stringify(e)).toBe(e.batch.staleReason !== null);
}

/** The longest interval a fresh event announced (its next read less its arrival). */
function announcedInterval(events: Stamped[]): number {
  const fresh = events.filter((e) => !e.batch.stale && e.batch.nextRefreshAt !== null);
  expect(fresh.length).toBeGreaterThan(0);
  return Math.max(...fresh.map((e) => Date.parse(e.batch.nextRefreshAt) - e.at + TRANSIT_MS));
}

/** Every stream ends with no error, no `nextRefreshAt` in the past and `stale` agreeing with `staleReason`. */
async function closeChecked(subs: ReturnType<typeof watch>[], client: SseClient | WsClient): Promise<void> {
  for (const s of subs) {
    expect(s.errors).toEqual([]);
    expectNoPastRefresh(s.events);
    expectConsistent(s.events);
    s.close();
  }
  await client.dispose();
}

const isFresh = (b: any) => b.stale === false && b.staleReason === null;

describe.each([
  ['one batch at a time', 'false'],
  ['through the list (bulk refresh)', 'true'],
] as const)('Check streams %s', (_, bulk) => {
  describe('a slow, hanging or failing provider', () => {
    let h: Harness;
    let running: string[];
    beforeAll(async () => {
      h = await startHarness({
        seed: 5,
        batchCount: 60,
        env: {
          ...POLL_ENV,
          LIVE_BULK_REFRESH: bulk,
          // A hanging read fails after 3 s (every phase within the deadline, as the configuration requires).
          UPSTREAM_DEADLINE_MS: '3000',
          UPSTREAM_CONNECT_TIMEOUT_MS: '3000',
          UPSTREAM_HEADERS_TIMEOUT_MS: '3000',
          UPSTREAM_BODY_TIMEOUT_MS: '3000',
          UPSTREAM_BREAKER_THRESHOLD: '1000',
        },
      });
      running = h.sims.factCheck.control.idsByState().running!;
    });
    afterAll(() => h.close());
    // A test that fails half-way leaves no fault behind for the next one.
    afterEach(() => h.sims.factCheck.control.clearFaults());

    it('a read held past its interval by a slow answer is OVERDUE for all its subscribers, in one event', async () => {
      const client = wsClient(h.url);
      const subs = Array.from({ length: 10 }, () => watch(client, running[0]!));
      await until(() => subs.every((s) => s.events.length > 0), 5_000, 'first states');
      // A few readings, so the interval the streams announce is known.
      await new Promise((r) => setTimeout(r, 1_500));
      const interval = announcedInterval(subs[0]!.events);
      const publishedBefore = h.hub.stats().published;

      const heldAt = Date.now();
      // Every Check answer now takes 2.5 s (within the 3 s deadline): no reading for much longer than an interval.
      h.sims.factCheck.control.setFault({ kind: 'slow', delayMs: 2_500 });
      const mark = await nextEvent(subs[0]!.events, heldAt, (b) => b.stale, 2_500, 'an overdue mark');
      expect(mark.batch).toMatchObject({ stale: true, staleReason: 'OVERDUE', nextRefreshAt: null });
      // Within about two intervals: the held read starts within one, and is overdue one (at least
      // OVERDUE_MIN_MS) after that.
      expect(mark.at - heldAt).toBeLessThanOrEqual(interval + Math.max(interval, OVERDUE_MIN_MS) + SLACK_MS);
      // The last reading is kept, as of its observedAt: the last one sent before the mark (a read under way when
      // the fault was set may land after it, before the mark).
      const before = subs[0]!.events.filter((e) => e.at < mark.at && !e.batch.stale).at(-1)!;
      expect(mark.batch.observedAt).toBe(before.batch.observedAt);
      expect(mark.batch.progress).toEqual(before.batch.progress);
      await until(
        () => subs.every((s) => s.events.some((e) => e.batch.staleReason === 'OVERDUE')),
        1_000,
        'all marked',
      );

      h.sims.factCheck.control.clearFaults();
      // The slow read lands, and the stream is fresh again.
      const fresh = await nextEvent(subs[0]!.events, mark.at, isFresh, 5_000, 'a fresh reading');
      expect(Date.parse(fresh.batch.nextRefreshAt)).toBeGreaterThan(fresh.at - TRANSIT_MS);
      expect(Date.parse(fresh.batch.observedAt)).toBeGreaterThan(Date.parse(before.batch.observedAt));
      await until(() => subs.every((s) => isFresh(s.events.at(-1)!.batch)), 2_000, 'all fresh');
      // One poll loop (and one timer) for ten subscribers: the mark and the reading were each published
      // once, not once per subscriber.
      expect(h.hub.stats().published - publishedBefore).toBeLessThan(subs.length);

      await closeChecked(subs, client);
    }, 20_000);

    it('a hanging read is OVERDUE, then POLL_FAILED when its deadline passes, then fresh again', async () => {
      const client = sseClient(h.url);
      const sub = watch(client, running[1]!);
      await until(() => sub.events.length > 0, 5_000, 'a first state');
      await new Promise((r) => setTimeout(r, 1_000));
      const interval = announcedInterval(sub.events);

      const heldAt = Date.now();
      h.sims.factCheck.control.setFault({ kind: 'hang' });
      const overdue = await nextEvent(sub.events, heldAt, (b) => b.stale, 2_500, 'an overdue mark');
      expect(overdue.batch).toMatchObject({ stale: true, staleReason: 'OVERDUE', nextRefreshAt: null });
      expect(overdue.at - heldAt).toBeLessThanOrEqual(interval + Math.max(interval, OVERDUE_MIN_MS) + SLACK_MS);

      // The 3 s deadline passes: the poll failed, and the stream says so, with its retry ahead.
      const failed = await nextEvent(
        sub.events,
        overdue.at,
        (b) => b.staleReason === 'POLL_FAILED',
        5_000,
        'the failed poll',
      );
      expect(failed.batch.stale).toBe(true);
      expect(Date.parse(failed.batch.nextRefreshAt)).toBeGreaterThanOrEqual(failed.at - TRANSIT_MS);

      h.sims.factCheck.control.clearFaults();
      // A read that hung since is cut off by its deadline too; the next one answers.
      const fresh = await nextEvent(sub.events, failed.at, isFresh, 8_000, 'a fresh reading');
      expect(Date.parse(fresh.batch.nextRefreshAt)).toBeGreaterThan(fresh.at - TRANSIT_MS);
      await closeChecked([sub], client);
    }, 25_000);

    it('a failing read is POLL_FAILED at once, with its retry ahead, and fresh once Check answers', async () => {
      const client = sseClient(h.url);
      const sub = watch(client, running[2]!);
      await until(() => sub.events.length > 0, 5_000, 'a first state');
      expect(isFresh(sub.events[0]!.batch)).toBe(true);

      const failingAt = Date.now();
      h.sims.factCheck.control.setFault({ kind: 'http5xx', status: 503 });
      const failed = await nextEvent(sub.events, failingAt, (b) => b.stale, 3_000, 'the failed poll');
      expect(failed.batch.staleReason).toBe('POLL_FAILED');
      expect(Date.parse(failed.batch.nextRefreshAt)).toBeGreaterThanOrEqual(failed.at - TRANSIT_MS);
      // Failing again and again is one stale event, not one per retry (a reading already under way when the
      // fault began may arrive before it: every reading is an event for this selection's `nextRefreshAt`).
      await new Promise((r) => setTimeout(r, 1_000));
      expect(sub.events.filter((e) => e.at >= failed.at)).toHaveLength(1);

      h.sims.factCheck.control.clearFaults();
      const fresh = await nextEvent(sub.events, failed.at, isFresh, 5_000, 'a fresh reading');
      expect(Date.parse(fresh.batch.nextRefreshAt)).toBeGreaterThan(fresh.at - TRANSIT_MS);
      await closeChecked([sub], client);
    }, 20_000);
  });

  describe("Check's request budget spent by interactive reads", () => {
    const WINDOW_MS = 8_000;
    let h: Harness;
    beforeAll(async () => {
      // Check allows 60 requests per 8 s window here (enforced with 429s and reported in X-RateLimit-*),
      // on a clock that runs in real time like the gateway's; the gateway is not told the limit and
      // learns it from Check's answers (about 27 polls a window leave room for reads).
      h = await startHarness({
        batchCount: 60,
        realTime: true,
        sims: { profile: 'longRunning', factCheckRateLimitPerMinute: 60, factCheckRateLimitWindowMs: WINDOW_MS },
        env: { ...POLL_ENV, LIVE_BULK_REFRESH: bulk },
      });
    });
    afterAll(() => h.close());

    it('holds the polls back: BUDGET_WAIT within about two intervals, fresh again after the window', async () => {
      const running = h.sims.factCheck.control.idsByState().running!;
      const done = h.sims.factCheck.control.idsByState().done!;
      const client = wsClient(h.url);
      const sub = watch(client, running[0]!);
      await until(() => sub.events.length > 0, 5_000, 'a first state');
      // Start at the beginning of one of Check's windows, so the hold lasts most of it.
      await until(() => Date.now() % WINDOW_MS < 300, WINDOW_MS + 1_000, 'a window start');
      const interval = announcedInterval(sub.events);

      // One client's reads spend what is left of the window: the gateway learns from Check's answers
      // (X-RateLimit-Remaining, or a 429) that nothing is left until the window resets.
      let spentAt = 0;
      for (let i = 0; i < 100 && !spentAt; i++) {
        const res = await h.gql('query ($id: ID!) { node(id: $id, fresh: true) { id } }', {
          id: toGlobalId('FACT_CHECK', done[i % done.length]!),
        });
        if (res.errors?.[0]?.extensions?.code === 'PROVIDER_RATE_LIMITED') spentAt = Date.now();
      }
      expect(spentAt).toBeGreaterThan(0);
      // Until then the stream was fresh: Check's answers had left room for the polls.
      expect(isFresh(sub.events.filter((e) => e.at < spentAt).at(-1)!.batch)).toBe(true);

      // The stream's next poll waits for the budget: marked stale with BUDGET_WAIT (a poll that met a 429
      // first is POLL_FAILED until then), never with a past next read.
      const mark = await nextEvent(
        sub.events,
        spentAt,
        (b) => b.staleReason === 'BUDGET_WAIT',
        WINDOW_MS / 2,
        'a budget-wait mark',
      );
      expect(mark.batch).toMatchObject({ stale: true, nextRefreshAt: null });
      expect(mark.at - spentAt).toBeLessThanOrEqual(interval + Math.max(interval, OVERDUE_MIN_MS) + SLACK_MS);
      // Still before the window's end: the polls were held back by the budget, not by a slow reply.
      expect(Math.floor(mark.at / WINDOW_MS)).toBe(Math.floor(spentAt / WINDOW_MS));

      // The window resets: polls resume and the stream is fresh again.
      const fresh = await nextEvent(sub.events, mark.at, isFresh, WINDOW_MS + 4_000, 'a fresh reading');
      expect(fresh.at).toBeGreaterThanOrEqual(Math.ceil(spentAt / WINDOW_MS) * WINDOW_MS);
      expect(Date.parse(fresh.batch.nextRefreshAt)).toBeGreaterThan(fresh.at - TRANSIT_MS);
      await closeChecked([sub], client);
    }, 40_000);
  });
});
