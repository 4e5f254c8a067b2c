import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { startHarness, type Harness } from '../helpers/harness.js';

/**
 * The per-request upstream budget: a worst-case estimate refuses amplification before any
 * upstream call, a client that leaves takes its fan-out with it, and a response has an overall
 * deadline. Upstream calls are read from the simulators' own counters.
 */
let h: Harness;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const upstreamCalls = () =>
  h.sims.reach.control.totalRequests() +
  h.sims.gameball.control.totalRequests() +
  h.sims.factCheck.control.totalRequests();
/** `n` distinct Reach ids (unknown to Reach: each costs one GET answered 404). */
const reachIds = (n: number, tag: string) => Array.from({ length: n }, (_, i) => toGlobalId('REACH', `${tag}-${i}`));

beforeAll(async () => {
  h = await startHarness({ seed: 41, batchCount: 60, env: { REQUEST_DEADLINE_MS: '1500' } });
});
afterAll(() => h?.close());
beforeEach(() => h.resetCounters());

describe('the worst-case estimate', () => {
  it('refuses 19 aliases of nodes(ids:) with 100 distinct ids each before any upstream call', async () => {
    const vars = Object.fromEntries(Array.from({ length: 19 }, (_, a) => [`ids${a}`, reachIds(100, `amp${a}`)]));
    const defs = Object.keys(vars)
      .map((k) => `$${k}: [ID!]!`)
      .join(', ');
    const fields = Object.keys(vars)
      .map((k, a) => `a${a}: nodes(ids: $${k}) { id }`)
      .join(' ');
    const res = await h.gql(`query(${defs}) { ${fields} }`, vars);
    expect(res.data).toBeUndefined();
    expect(res.errors).toHaveLength(1);
    expect(res.errors![0]!.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', estimate: 1900, limit: 200 });
    expect(res.errors![0]!.message).toMatch(/1900 upstream calls; the limit is 200/);
    expect(upstreamCalls()).toBe(0);
  });

  it('refuses the same amplification written inline', async () => {
    const fields = Array.from(
      { length: 19 },
      (_, a) =>
        `a${a}: nodes(ids: [${reachIds(100, `lit${a}`)
          .map((id) => `"${id}"`)
          .join(',')}]) { id }`,
    ).join(' ');
    const res = await h.gql(`{ ${fields} }`);
    expect(res.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    expect(upstreamCalls()).toBe(0);
  });

  it('runs a request estimated at exactly the budget, and refuses one more id', async () => {
    const a = reachIds(100, 'exact-a');
    const b = reachIds(100, 'exact-b');
    const query = 'query($a: [ID!]!, $b: [ID!]!) { x: nodes(ids: $a) { id } y: nodes(ids: $b) { id } }';
    const ok = await h.gql(query, { a, b });
    expect(ok.data.x).toHaveLength(100);
    expect(new Set(ok.errors!.map((e) => e.extensions!.code))).toEqual(new Set(['NOT_FOUND']));
    expect(h.sims.reach.control.totalRequests()).toBe(200);

    h.resetCounters();
    const over = await h.gql(query, { a, b: [...b.slice(0, 99), ...reachIds(2, 'exact-c')] });
    expect(over.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', estimate: 201, limit: 200 });
    expect(upstreamCalls()).toBe(0);
  });

  it('counts two encodings of one id once', async () => {
    const [id] = reachIds(1, 'pad');
    const ids = [...reachIds(199, 'pad-fill'), id!, `${id!}=`];
    const res = await h.gql(
      'query($ids: [ID!]!, $more: [ID!]!) { x: nodes(ids: $more) { id } y: nodes(ids: $ids) { id } }',
      { more: ids.slice(0, 100), ids: ids.slice(100) },
    );
    // 100 + 101 strings, but the second list holds one id twice: 200.
    expect(res.errors?.some((e) => e.extensions?.code === 'QUERY_TOO_COMPLEX')).toBe(false);
  });

  it('multiplies nested items by the page of batches they hang under', async () => {
    const res = await h.gql(
      '{ batches(first: 100) { edges { node { ... on FactCheckBatch { items(first: 5) { totalCount } } } } } }',
    );
    // 2 listing providers × 10 pages + 100 parents × 1 results page = 120: within the budget.
    expect(res.errors?.some((e) => e.extensions?.code === 'QUERY_TOO_COMPLEX')).toBeFalsy();
    const twice = await h.gql(
      '{ a: batches(first: 100) { edges { node { ... on FactCheckBatch { items(first: 5) { totalCount } } } } } ' +
        'b: batches(first: 100) { edges { node { id } } } }',
    );
    // 120 + 20 = 140 still fits; with `last` each parent needs two reads: 2×10 + 100×2 + 20 = 240.
    expect(twice.errors?.some((e) => e.extensions?.code === 'QUERY_TOO_COMPLEX')).toBeFalsy();
    h.resetCounters();
    const last = await h.gql(
      '{ a: batches(first: 100) { edges { node { ... on FactCheckBatch { items(last: 5) { totalCount } } } } } ' +
        'b: batches(first: 100) { edges { node { id } } } }',
    );
    expect(last.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', estimate: 240 });
    expect(upstreamCalls()).toBe(0);
  });

  it('refuses a batches(ids:) subscription over the budget at subscribe time, and admits one at it', async () => {
    const small = await startHarness({ seed: 41, batchCount: 60, env: { MAX_UPSTREAM_CALLS_PER_REQUEST: '5' } });
    try {
      const watch = (ids: string[]) =>
        fetch(small.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
          body: JSON.stringify({
            query: 'subscription($ids: [ID!]!) { batches(ids: $ids) { id } }',
            variables: { ids },
          }),
        });
      const done = small.sims.factCheck.control
        .idsByState()
        .done!.slice(0, 6)
        .map((id) => toGlobalId('FACT_CHECK', id));
      const over = await (await watch(done)).text();
      expect(over).toContain('QUERY_TOO_COMPLEX');
      expect(small.sims.factCheck.control.totalRequests()).toBe(0);
      // Five finished batches: five events, then the stream completes.
      const at = await (await watch(done.slice(0, 5))).text();
      expect(at).not.toContain('QUERY_TOO_COMPLEX');
      expect(at.match(/event: next/g)).toHaveLength(5);
    } finally {
      await small.close();
    }
  });
});

describe('a client that leaves', () => {
  it('leaves no upstream calls behind within 1 s of disconnecting mid-fan-out', async () => {
    // Every Reach answer takes 200 ms: 100 ids at 8 in flight would take about 2.5 s.
    h.sims.reach.control.setFault({ kind: 'slow', delayMs: 200 });
    const controller = new AbortController();
    const pending = fetch(h.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }',
        variables: { ids: reachIds(100, 'gone') },
      }),
      signal: controller.signal,
    }).catch(() => undefined);
    await sleep(300);
    const whileThere = h.sims.reach.control.totalRequests();
    expect(whileThere).toBeGreaterThan(0);
    controller.abort();
    await pending;
    await sleep(1_000);
    const settled = h.sims.reach.control.totalRequests();
    await sleep(1_000);
    expect(h.sims.reach.control.totalRequests()).toBe(settled);
    expect(settled).toBeLessThan(40);
    h.sims.reach.control.clearFaults();
  });

  it('keeps a GET shared with another live request running for it', async () => {
    h.sims.reach.control.setFault({ kind: 'slow', delayMs: 300 });
    const id = h.sims.reach.control.idsByState().running![0]!;
    const body = JSON.stringify({ query: `{ node(id: "${toGlobalId('REACH', id)}") { id } }` });
    const leaving = new AbortController();
    const gone = fetch(h.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: leaving.signal,
    }).catch(() => undefined);
    await sleep(50);
    const staying = h.gql(`{ node(id: "${toGlobalId('REACH', id)}") { id } }`);
    await sleep(50);
    leaving.abort();
    await gone;
    const res = await staying;
    expect(res.errors).toBeUndefined();
    expect(res.data.node.id).toBe(toGlobalId('REACH', id));
    // One upstream GET served both.
    expect(h.sims.reach.control.requests().filter((r) => r.path.includes(id))).toHaveLength(1);
    h.sims.reach.control.clearFaults();
  });
});

describe('the response deadline', () => {
  it('answers with what finished, and PROVIDER_TIMEOUT for the fields still waiting', async () => {
    h.sims.reach.control.setFault({ kind: 'hang' });
    const reach = h.sims.reach.control.idsByState().running![0]!;
    const check = h.sims.factCheck.control.idsByState().running![0]!;
    const started = Date.now();
    const res = await h.gql('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', {
      ids: [toGlobalId('REACH', reach), toGlobalId('FACT_CHECK', check), toGlobalId('REACH', `${reach}x`)],
    });
    const took = Date.now() - started;
    h.sims.reach.control.clearFaults();
    expect(res.status).toBe(200);
    expect(res.data.nodes[1]).toEqual({ id: toGlobalId('FACT_CHECK', check) });
    expect(res.data.nodes[0]).toBeNull();
    expect(res.data.nodes[2]).toBeNull();
    for (const e of res.errors!) {
      expect(e.extensions).toMatchObject({ code: 'PROVIDER_TIMEOUT', provider: 'REACH' });
      expect(e.message).toMatch(/REQUEST_DEADLINE_MS/);
    }
    // Not the 15 s upstream deadline: the response deadline (1.5 s) cut it.
    expect(took).toBeLessThan(10_000);
  });
});
