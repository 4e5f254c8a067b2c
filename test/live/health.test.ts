/**
 * Batch health end to end (issue 32, docs/live-progress.md "Batch health"): a simulator batch frozen while a
 * subscription watches it turns `STALLED` within `HEALTH_STALL_AFTER_MS` plus one poll, and `OK` again only after
 * it moves for `HEALTH_RECOVER_READINGS` readings; a slowed one turns `SLOW`. Each change reaches the subscriber
 * with its reason, the timeline, queries, the health filter and `/metrics`. Simulated time (a manual clock, as the
 * gateway's poll hub reads it) is moved by the test; the hub polls every 40 ms of real time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { sseClient, subscribe } from '../helpers/live-clients.js';
import { until } from '../helpers/until.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const STALL_MS = 60_000;
const WATCH = `subscription ($id: ID!) { batch(id: $id) {
  status health healthSince healthReason progress { processed } } }`;
const TIMELINE = `query ($id: ID!) { node(id: $id) { ... on Batch { timeline(first: 100, kinds: [HEALTH]) {
  edges { node { at ... on TimelineHealthEvent { health previousHealth reason } } } } } } }`;
const HEALTH = `query ($id: ID!) { node(id: $id) { ... on Batch { health healthReason } } }`;
const FILTERED = `query ($health: [BatchHealth!]) {
  batches(first: 50, filter: { health: $health }) { edges { node { id } } }
  batchCounts(filter: { health: $health }) { total } }`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const metrics = async (url: string) => (await fetch(url.replace(/\/graphql$/, '/metrics'))).text();

type Event = { batch: { health: string; healthReason: string | null; progress: { processed: number } } };

describe('batch health', () => {
  it('turns a frozen batch STALLED within the threshold plus one poll, OK after it moves for 3 readings', async () => {
    h = await startHarness({
      seed: 32,
      batchCount: 40,
      sims: { profile: 'longRunning' },
      env: { HEALTH_STALL_AFTER_MS: String(STALL_MS), HEALTH_RECOVER_READINGS: '3', LIVE_BULK_REFRESH: 'false' },
    });
    const raw = h.sims.reach.control.idsByState().running![0]!;
    const id = toGlobalId('REACH', raw);
    const client = sseClient(h.url);
    try {
      const sub = subscribe(client, WATCH, { id });
      await sub.waitForEvents(1);
      expect(sub.events[0].batch).toMatchObject({ status: 'RUNNING', health: 'OK', healthReason: null });
      // Frozen now, at the count the first reading showed: its stall clock started with that reading.
      h.sims.reach.control.setPace(raw, 0);
      const frozen = sub.events.at(-1).batch.progress.processed;
      h.clock.advance(STALL_MS - 1_000);
      await sleep(300);
      expect(sub.events.every((e: Event) => e.batch.health === 'OK')).toBe(true);
      // The threshold: the next poll (40 ms) says STALLED, with why.
      h.clock.advance(1_000);
      await until(() => sub.events.some((e: Event) => e.batch.health === 'STALLED'), 2_000, 'STALLED');
      const stalled = sub.events.find((e: Event) => e.batch.health === 'STALLED').batch;
      expect(stalled.progress.processed).toBe(frozen);
      expect(stalled.healthReason).toMatch(/^no progress for 1 min .*at \d+ items processed$/);

      // A query, the filter, the counts and the metrics say so too (the ledger's stored judgment).
      expect((await h.gql(HEALTH, { id })).data.node.health).toBe('STALLED');
      const filtered = await h.gql(FILTERED, { health: ['STALLED'] });
      expect(filtered.data.batches.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([id]);
      expect(filtered.data.batchCounts.total).toBe(1);
      expect(await metrics(h.url)).toMatch(/^batchql_batches_by_health\{provider="REACH",health="STALLED"\} 1$/m);

      // It moves again: the first two readings that show it keep STALLED (hysteresis); the third is OK.
      h.sims.reach.control.resetPace();
      h.clock.advance(2_000);
      await until(
        () => sub.events.some((e: Event) => e.batch.health === 'OK' && e.batch.progress.processed > frozen),
        2_000,
        'OK again',
      );
      const moving = sub.events.filter((e: Event) => e.batch.progress.processed > frozen);
      expect(moving[0].batch.health).toBe('STALLED');
      expect(moving.at(-1).batch.health).toBe('OK');

      // The timeline holds both changes, each with the health before it.
      const r = await h.gql(TIMELINE, { id });
      expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
      expect(r.data.node.timeline.edges.map((e: { node: unknown }) => e.node)).toMatchObject([
        { health: 'STALLED', previousHealth: 'OK', reason: expect.stringMatching(/no progress/) },
        { health: 'OK', previousHealth: 'STALLED', reason: null },
      ]);
      sub.close();
    } finally {
      await client.dispose();
    }
  });

  it('turns a slowed batch SLOW, read through the bulk refresh, with the rates in its reason', async () => {
    h = await startHarness({
      seed: 33,
      batchCount: 40,
      sims: { profile: 'longRunning' },
      env: { HEALTH_WINDOW_MS: '20000', HEALTH_MIN_SAMPLES: '3', HEALTH_SLOW_FRACTION: '0.25' },
    });
    // The running batch with the most items: its count moves at every step of the clock.
    const running = h.sims.factCheck.control.idsByState().running!;
    const totals = await h.gql(`query ($ids: [ID!]!) { nodes(ids: $ids) { ... on Batch { progress { total } } } }`, {
      ids: running.map((r) => toGlobalId('FACT_CHECK', r)),
    });
    const sizes = totals.data.nodes.map((n: { progress: { total: number } }) => n.progress.total);
    const raw = running[sizes.indexOf(Math.max(...sizes))]!;
    const id = toGlobalId('FACT_CHECK', raw);
    const client = sseClient(h.url);
    try {
      const sub = subscribe(client, WATCH, { id });
      await sub.waitForEvents(1);
      // 5 s of simulated time, then a few polls' worth of real time for the readings.
      const step = async () => {
        h!.clock.advance(5_000);
        await sleep(150);
      };
      // A minute at its normal pace: more than the two windows the judgment needs.
      for (let i = 0; i < 12; i++) await step();
      expect(sub.events.length).toBeGreaterThan(5);
      expect(sub.events.every((e: Event) => e.batch.health === 'OK')).toBe(true);
      h.sims.factCheck.control.setPace(raw, 0.05);
      for (let i = 0; i < 8 && !sub.events.some((e: Event) => e.batch.health === 'SLOW'); i++) await step();
      const slow = sub.events.find((e: Event) => e.batch.health === 'SLOW')?.batch;
      expect(slow, 'a SLOW event').toBeDefined();
      expect(slow.healthReason).toMatch(/\/s over the last 20 s, below 25 % of its earlier [\d.]+\/s$/);
      expect((await h.gql(HEALTH, { id })).data.node.health).toBe('SLOW');
      expect((await h.gql(FILTERED, { health: ['SLOW'] })).data.batchCounts.total).toBe(1);
      sub.close();
    } finally {
      await client.dispose();
    }
  });
});
