/**
 * The ledger's history, counts and search (issue 31, docs/ledger.md) through the real gateway and simulators, on
 * both stores: a batch's timeline (its status changes, progress samples and writes), `progressSeries`,
 * `batchCounts`, `finishedAfter`, and search by name, provider id and global id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { closeLedgerStores, LEDGER_STORES } from '../helpers/ledger-stores.js';

let h: Harness;
afterAll(() => closeLedgerStores());

const finishOf = (id: string) => h.sims.factCheck.control.changedAt(id, Number.MAX_SAFE_INTEGER)!;
const read = (id: string) =>
  h.gql(`{ batch(provider: FACT_CHECK, providerBatchId: "${id}") { id status progress { processed } } }`);

type Event = { kind: string; status?: string; previousStatus?: string | null; processed?: number; mutation?: string };
const TIMELINE = `query($id: ID!, $first: Int, $after: String, $last: Int, $before: String,
    $kinds: [TimelineEventKind!]) {
  node(id: $id) { ... on Batch { timeline(first: $first, after: $after, last: $last, before: $before, kinds: $kinds) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { kind at
      ... on TimelineStatusEvent { status previousStatus processed }
      ... on TimelineProgressEvent { processed }
      ... on TimelineWriteEvent { mutation outcome subject } } } } } } }`;

async function timeline(id: string, vars: Record<string, unknown> = {}): Promise<Event[]> {
  const r = await h.gql(TIMELINE, { id, ...(vars.last === undefined ? { first: 100 } : {}), ...vars });
  expect(r.errors).toBeUndefined();
  return r.data.node.timeline.edges.map((e: { node: Event }) => e.node);
}

describe.each(LEDGER_STORES)('with the $name store', (store) => {
  beforeAll(async () => {
    h = await startHarness({ env: await store.env() });
  }, 60_000);
  afterAll(() => h.close());

  /** A running Check batch read as it moves, then cancelled through the gateway. */
  let id: string;
  let globalId: string;

  it("records a batch's status changes, progress samples and the writes that named it", async () => {
    const running = [...h.sims.factCheck.control.idsByState().running!];
    id = running.sort((a, b) => finishOf(b) - finishOf(a))[0]!;
    globalId = toGlobalId('FACT_CHECK', id);
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await read(id);
      expect(r.data.batch.status).toBe('RUNNING');
      seen.push(r.data.batch.progress.processed);
      h.clock.advance(Math.max(1_000, (finishOf(id) - h.clock.now()) / 20));
    }
    const cancel = await h.gql(`mutation { cancelBatch(id: "${globalId}") { batch { status } userErrors { code } } }`);
    expect(cancel.errors).toBeUndefined();
    expect(cancel.data.cancelBatch.userErrors).toEqual([]);
    await read(id);

    const events = await timeline(globalId);
    const statuses = events.filter((e) => e.kind === 'STATUS');
    expect(statuses[0]).toMatchObject({ status: 'RUNNING', previousStatus: null, processed: seen[0] });
    expect(statuses.at(-1)).toMatchObject({ status: 'CANCELLED', previousStatus: 'RUNNING' });
    // Every reading whose counts moved is a sample while it is young (none is thinned yet).
    const samples = events.filter((e) => e.kind === 'PROGRESS').map((e) => e.processed);
    expect(samples).toEqual([...new Set(seen.slice(1))].filter((n) => n !== seen[0]));
    expect(events.filter((e) => e.kind === 'WRITE')).toEqual([
      expect.objectContaining({ mutation: 'cancelBatch', outcome: 'DONE', subject: null }),
    ]);
    // Only the kinds asked for; pages follow one another without a gap or a repeat.
    expect((await timeline(globalId, { kinds: ['WRITE'] })).map((e) => e.kind)).toEqual(['WRITE']);
    const first = await h.gql(TIMELINE, { id: globalId, first: 2 });
    const rest = await h.gql(TIMELINE, {
      id: globalId,
      first: 100,
      after: first.data.node.timeline.pageInfo.endCursor,
    });
    expect(first.data.node.timeline.pageInfo.hasNextPage).toBe(true);
    expect(
      [...first.data.node.timeline.edges, ...rest.data.node.timeline.edges].map((e: { node: Event }) => e.node),
    ).toEqual(events);
    // Backward: the latest two, then everything before them.
    const latest = await h.gql(TIMELINE, { id: globalId, last: 2 });
    const nodes = (r: any) => r.data.node.timeline.edges.map((e: { node: Event }) => e.node);
    expect(nodes(latest)).toEqual(events.slice(-2));
    expect(latest.data.node.timeline.pageInfo.hasPreviousPage).toBe(true);
    const earlier = await h.gql(TIMELINE, {
      id: globalId,
      last: 100,
      before: latest.data.node.timeline.pageInfo.startCursor,
    });
    expect(nodes(earlier)).toEqual(events.slice(0, -2));
    expect(earlier.data.node.timeline.pageInfo.hasPreviousPage).toBe(false);
  });

  it('refuses a cursor of another timeline and a page size out of range', async () => {
    const other = toGlobalId('FACT_CHECK', [...h.sims.factCheck.control.idsByState().done!][0]!);
    await h.gql(`{ node(id: "${other}") { id } }`);
    const mine = await h.gql(TIMELINE, { id: globalId, first: 1 });
    const crossed = await h.gql(TIMELINE, { id: other, after: mine.data.node.timeline.pageInfo.endCursor });
    expect(crossed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const tooMany = await h.gql(TIMELINE, { id: globalId, first: 101 });
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('downsamples the progress series to maxPoints, keeping the first and last points', async () => {
    const series = async (maxPoints: number) => {
      const r = await h.gql(
        `{ node(id: "${globalId}") { ... on Batch {
          progressSeries(maxPoints: ${maxPoints}) { at processed failed } } } }`,
      );
      expect(r.errors).toBeUndefined();
      return r.data.node.progressSeries as { at: string; processed: number }[];
    };
    const all = await series(2000);
    expect(all.length).toBeGreaterThan(4);
    for (let i = 1; i < all.length; i++)
      expect(Date.parse(all[i]!.at)).toBeGreaterThanOrEqual(Date.parse(all[i - 1]!.at));
    const three = await series(3);
    expect(three).toHaveLength(3);
    expect(three[0]).toEqual(all[0]);
    expect(three[2]).toEqual(all.at(-1));
    expect(all).toContainEqual(three[1]);
    const bad = await h.gql(`{ node(id: "${globalId}") { ... on Batch { progressSeries(maxPoints: 1) { at } } } }`);
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('counts per status and provider what the ledger holds, as the ledger-served list totals say', async () => {
    await h.gql(`{ batches(first: 100, filter: { providers: [FACT_CHECK] }) { edges { node { id } } } }`);
    const r = await h.gql(`{ batchCounts { total byStatus { status count } byProvider { provider count } } }`);
    expect(r.errors).toBeUndefined();
    const counts = r.data.batchCounts;
    const sum = (xs: { count: number }[]) => xs.reduce((n, x) => n + x.count, 0);
    expect(sum(counts.byStatus)).toBe(counts.total);
    expect(sum(counts.byProvider)).toBe(counts.total);
    const check = counts.byProvider.find((p: { provider: string }) => p.provider === 'FACT_CHECK').count;
    expect(check).toBeGreaterThanOrEqual(100);
    // The same rows through the list (served from the ledger, as any `finishedBefore` list is): equal totals.
    for (const { status, count } of counts.byStatus as { status: string; count: number }[]) {
      const filter = `{ providers: [FACT_CHECK], statuses: [${status}], search: "" }`;
      const listed = await h.gql(`{ batches(first: 1, filter: ${filter}) { totalCount } }`);
      expect(listed.errors).toBeUndefined();
      const checkCount = (
        await h.gql(`{ batchCounts(filter: ${filter}) { byStatus { status count } } }`)
      ).data.batchCounts.byStatus.find((s: { status: string }) => s.status === status).count;
      expect(listed.data.batches.totalCount).toBe(checkCount);
      expect(checkCount).toBeLessThanOrEqual(count);
    }
  });

  it('filters by when batches finished, from the ledger', async () => {
    const cancelledAt = Date.parse(
      (await h.gql(`{ node(id: "${globalId}") { ... on Batch { completedAt } } }`)).data.node.completedAt,
    );
    const r = await h.gql(
      `query($from: DateTime!) { batches(first: 100, filter: { finishedAfter: $from }) {
        totalCount edges { node { id completedAt isTerminal servedFrom } } } }`,
      { from: new Date(cancelledAt).toISOString() },
    );
    expect(r.errors).toBeUndefined();
    const nodes = r.data.batches.edges.map((e: { node: any }) => e.node);
    expect(nodes.map((n: { id: string }) => n.id)).toContain(globalId);
    for (const n of nodes) {
      expect(n.isTerminal).toBe(true);
      expect(n.servedFrom).toBe('LEDGER');
      if (n.completedAt) expect(Date.parse(n.completedAt)).toBeGreaterThanOrEqual(cancelledAt);
    }
    const before = await h.gql(
      `query($to: DateTime!) { batches(first: 100, filter: { finishedBefore: $to }) { edges { node { id } } } }`,
      { to: new Date(cancelledAt).toISOString() },
    );
    expect(before.data.batches.edges.map((e: { node: { id: string } }) => e.node.id)).not.toContain(globalId);
  });

  it('searches names and provider ids in the ledger, and finds a global id directly', async () => {
    const named = await h.gql(
      `{ batch(provider: FACT_CHECK, providerBatchId: "${id}") { ... on FactCheckBatch { name } } }`,
    );
    const name: string = named.data.batch.name;
    const search = async (text: string) => {
      const r = await h.gql(
        `query($q: String!) { batches(first: 100, filter: { search: $q }) { totalCount edges { node { id
        providerBatchId ... on FactCheckBatch { name } } } } }`,
        { q: text },
      );
      expect(r.errors).toBeUndefined();
      return r.data.batches.edges.map((e: { node: any }) => e.node) as {
        id: string;
        providerBatchId: string;
        name?: string;
      }[];
    };
    const calls = h.sims.factCheck.control.requests().length;
    // Part of the name, in another case: every hit contains it.
    const part = name.slice(2, 9).toUpperCase();
    const byName = await search(part);
    expect(byName.map((n) => n.id)).toContain(globalId);
    for (const n of byName) expect(`${n.name ?? ''} ${n.providerBatchId}`.toLowerCase()).toContain(part.toLowerCase());
    expect((await search(id)).map((n) => n.id)).toEqual([globalId]);
    // A global id is that batch, whatever its text; search never walked a provider list.
    expect((await search(globalId)).map((n) => n.id)).toEqual([globalId]);
    expect(h.sims.factCheck.control.requests().length).toBe(calls);
    expect(await search('no batch is called this')).toEqual([]);
  });
});
