/**
 * A watched batch's timeline (issue 31, docs/ledger.md "Timelines") on both stores: a subscription's polls go into
 * the ledger, and its timeline holds the status changes, the progress samples and the stale period of an outage,
 * closed by the first fresh reading after it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { closeLedgerStores, LEDGER_STORES } from '../helpers/ledger-stores.js';
import { sseClient, subscribe } from '../helpers/live-clients.js';
import { until } from '../helpers/until.js';

let h: Harness;
afterAll(() => closeLedgerStores());

const WATCH = `subscription W($id: ID!) { batch(id: $id) { status isTerminal stale progress { processed } } }`;
const TIMELINE = `query($id: ID!, $after: String) { node(id: $id) { ... on Batch {
  timeline(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { kind at
  ... on TimelineStatusEvent { status previousStatus }
  ... on TimelineProgressEvent { processed }
  ... on TimelineStaleEvent { reason endedAt } } } } } } }`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(LEDGER_STORES)('with the $name store', (store) => {
  beforeAll(async () => {
    h = await startHarness({ seed: 21, batchCount: 120, env: { LIVE_BULK_REFRESH: 'false', ...(await store.env()) } });
  }, 60_000);
  afterAll(() => h.close());

  it('records the polls of a watched batch: its statuses, samples and the stale period of an outage', async () => {
    const id = toGlobalId('REACH', h.sims.reach.control.idsByState().running![0]!);
    const client = sseClient(h.url);
    try {
      const sub = subscribe(client, WATCH, { id });
      await sub.waitForEvents(1);
      h.clock.advance(5_000);
      await sub.waitForEvents(2);
      h.sims.reach.control.setFault({ kind: 'http5xx', status: 503 });
      await until(() => sub.events.some((e) => e.batch.stale), 3_000, 'a stale event');
      h.sims.reach.control.clearFaults();
      const staleAt = sub.events.length;
      await until(() => sub.events.length > staleAt && !sub.events.at(-1)!.batch.stale, 3_000, 'recovery');
      for (let i = 0; i < 400 && !sub.isEnded(); i++) {
        h.clock.advance(10_000);
        await sleep(15);
      }
      await sub.ended;
      const last = sub.events.at(-1)!.batch;
      expect(last.isTerminal).toBe(true);

      const events: any[] = [];
      let after: string | null = null;
      do {
        const r: any = await h.gql(TIMELINE, { id, after });
        expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
        events.push(...r.data.node.timeline.edges.map((e: { node: unknown }) => e.node));
        after = r.data.node.timeline.pageInfo.hasNextPage ? r.data.node.timeline.pageInfo.endCursor : null;
      } while (after);
      const statuses = events.filter((e: { kind: string }) => e.kind === 'STATUS');
      expect(statuses[0]).toMatchObject({ status: 'RUNNING', previousStatus: null });
      expect(statuses.at(-1)).toMatchObject({ status: last.status, previousStatus: 'RUNNING' });
      // Each sample is a reading whose counts moved; none repeats the one before it.
      const samples = events.filter((e: { kind: string }) => e.kind === 'PROGRESS').map((e: any) => e.processed);
      expect(samples.length).toBeGreaterThan(2);
      for (let i = 1; i < samples.length; i++) expect(samples[i]).not.toBe(samples[i - 1]);
      const stale = events.filter((e: { kind: string }) => e.kind === 'STALE');
      expect(stale).toHaveLength(1);
      expect(stale[0].reason).toBe('POLL_FAILED');
      expect(Date.parse(stale[0].endedAt)).toBeGreaterThanOrEqual(Date.parse(stale[0].at));
      // In time order.
      const times = events.map((e: { at: string }) => Date.parse(e.at));
      for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1]!);
    } finally {
      await client.dispose();
    }
  });
});
