/**
 * The cases of `npm run bench` (issue 13): what each one sends, how its answers are checked, and
 * the goal it is held to. Every request body is built per request (autocannon's `setupRequest`),
 * so rotating cases read a different batch each time.
 */
import { toGlobalId } from '../../src/domain/global-id.js';

/** What a case sends for one request, and what a correct answer holds. */
export interface BenchRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Checks a parsed answer (run on a sample of the responses); returns what is wrong, or undefined. */
  check(json: unknown): string | undefined;
}

/** How a case's figure compares with another case of the same round. */
export type Goal =
  /** req/s at least `ratio` times the `baseline` case's (the direct floor). */
  | { kind: 'throughput'; baseline: string; ratio: number }
  /** p50 at most `ratio` times the highest p50 of the `baselines` cases. */
  | { kind: 'latency'; baselines: string[]; ratio: number };

/** One benchmark case. */
export interface BenchCase {
  name: string;
  /** `direct`: the Reach simulator itself; `gateway`: `POST /graphql`. */
  target: 'direct' | 'gateway';
  connections: number;
  /** Requests a second over all connections (the latency cases, paced to stay inside Check's Enterprise quota). */
  rate?: number;
  /** Runs with the simulators' `slow` fault (`SLOW_MS`), to measure overlap rather than CPU. */
  slow: boolean;
  next(): BenchRequest;
  goal?: Goal;
}

/** The simulators' response latency in the parallelism cases. */
export const SLOW_MS = 20;

/** The batch ids the cases rotate over (any state; Reach: the gateway's configured tenant). */
export interface BenchIds {
  reach: string[];
  gameball: string[];
  factCheck: string[];
}

/** The upstream credentials the direct case sends, as the gateway's Reach client does. */
export interface DirectAuth {
  token: string;
  tenantId: string;
}

const FIELDS =
  'id provider providerBatchId status providerStatus isTerminal ' +
  'progress { total processed succeeded failed pending percent } createdAt completedAt';

const JSON_HEADERS = { 'content-type': 'application/json' };

/** A round-robin over `items` shared by every connection of a case. */
function rotation<T>(items: readonly T[]): () => T {
  if (items.length === 0) throw new Error('nothing to rotate over');
  let i = 0;
  return () => items[i++ % items.length]!;
}

type Json = Record<string, unknown>;

/** What is wrong with a GraphQL answer whose `data` should hold `expected` (field → providerBatchId). */
function checkBatches(json: unknown, expected: Record<string, string | string[]>): string | undefined {
  const body = json as { data?: Json | null; errors?: unknown[] };
  if (body.errors?.length) return `GraphQL errors: ${JSON.stringify(body.errors).slice(0, 300)}`;
  for (const [field, want] of Object.entries(expected)) {
    const got = body.data?.[field];
    const list = Array.isArray(want) ? want : [want];
    const items = (Array.isArray(want) ? got : [got]) as (Json | null)[] | undefined;
    if (!Array.isArray(items) || items.length !== list.length) return `data.${field}: not ${list.length} item(s)`;
    for (const [i, item] of items.entries()) {
      if (!item || item.providerBatchId !== list[i]) return `data.${field}[${i}]: not batch ${list[i]}`;
      if (typeof item.status !== 'string' || typeof (item.progress as Json | null)?.total !== 'number')
        return `data.${field}[${i}]: no status or progress`;
    }
  }
  return undefined;
}

function graphql(query: string, variables: Json | undefined, expected: Record<string, string | string[]>) {
  return {
    method: 'POST' as const,
    path: '/graphql',
    headers: JSON_HEADERS,
    body: JSON.stringify(variables ? { query, variables } : { query }),
    check: (json: unknown) => checkBatches(json, expected),
  };
}

const ONE_BATCH = `query OneBatch($provider: BatchProvider!, $id: String!) {
  batch(provider: $provider, providerBatchId: $id) { ${FIELDS} }
}`;
const THREE_BATCHES = `query ThreeBatches($reach: String!, $gameball: String!, $factCheck: String!) {
  reach: batch(provider: REACH, providerBatchId: $reach) { ${FIELDS} }
  gameball: batch(provider: GAMEBALL, providerBatchId: $gameball) { ${FIELDS} }
  factCheck: batch(provider: FACT_CHECK, providerBatchId: $factCheck) { ${FIELDS} }
}`;
const NODES = `query Nodes($ids: [ID!]!) { nodes(ids: $ids) { ... on Batch { ${FIELDS} } } }`;

/** `count` consecutive ids from a rotation over `ids`. */
function windows(ids: readonly string[], count: number): () => string[] {
  const next = rotation(ids);
  return () => Array.from({ length: count }, next);
}

/** The cases, in the order each round runs them. */
export function benchCases(ids: BenchIds, auth: DirectAuth, connections: number, latencyRate: number): BenchCase[] {
  const reach = { direct: rotation(ids.reach), vars: rotation(ids.reach), inline: rotation(ids.reach) };
  const same = ids.reach[0]!;
  const single = {
    REACH: rotation(ids.reach),
    GAMEBALL: rotation(ids.gameball),
    FACT_CHECK: rotation(ids.factCheck),
  };
  const three = { reach: rotation(ids.reach), gameball: rotation(ids.gameball), factCheck: rotation(ids.factCheck) };
  const nodes1 = windows(ids.reach, 1);
  const nodes20 = windows(ids.reach, 20);
  const oneBatch = (provider: keyof typeof single, id: string) => graphql(ONE_BATCH, { provider, id }, { batch: id });
  const nodesOf = (batchIds: string[]) =>
    graphql(NODES, { ids: batchIds.map((id) => toGlobalId('REACH', id)) }, { nodes: batchIds });
  const latency = { connections: 1, rate: latencyRate, slow: true } as const;
  const singles = ['single REACH (20 ms)', 'single GAMEBALL (20 ms)', 'single FACT_CHECK (20 ms)'];
  return [
    {
      name: 'direct floor',
      target: 'direct',
      connections,
      slow: false,
      next: () => {
        const id = reach.direct();
        return {
          method: 'GET',
          path: `/api/batches/${encodeURIComponent(id)}`,
          headers: { authorization: `Bearer ${auth.token}`, 'reach-tenant-id': auth.tenantId },
          check: (json) =>
            (json as { data?: { batchId?: unknown } }).data?.batchId === id ? undefined : `not batch ${id}`,
        };
      },
    },
    {
      name: 'rotating ids, variables',
      target: 'gateway',
      connections,
      slow: false,
      next: () => oneBatch('REACH', reach.vars()),
      goal: { kind: 'throughput', baseline: 'direct floor', ratio: 0.3 },
    },
    {
      name: 'rotating ids, inline',
      target: 'gateway',
      connections,
      slow: false,
      next: () => {
        const id = reach.inline();
        return graphql(`{ batch(provider: REACH, providerBatchId: "${id}") { ${FIELDS} } }`, undefined, { batch: id });
      },
      goal: { kind: 'throughput', baseline: 'direct floor', ratio: 0.25 },
    },
    {
      name: 'same id (coalesced)',
      target: 'gateway',
      connections,
      slow: false,
      next: () => oneBatch('REACH', same),
      goal: { kind: 'throughput', baseline: 'direct floor', ratio: 0.4 },
    },
    ...(['REACH', 'GAMEBALL', 'FACT_CHECK'] as const).map((provider, i): BenchCase => ({
      name: singles[i]!,
      target: 'gateway',
      ...latency,
      next: () => oneBatch(provider, single[provider]()),
    })),
    {
      name: 'three providers (20 ms)',
      target: 'gateway',
      ...latency,
      next: () => {
        const v = { reach: three.reach(), gameball: three.gameball(), factCheck: three.factCheck() };
        return graphql(THREE_BATCHES, v, v);
      },
      goal: { kind: 'latency', baselines: singles, ratio: 1.3 },
    },
    { name: 'nodes, 1 id (20 ms)', target: 'gateway', ...latency, next: () => nodesOf(nodes1()) },
    {
      name: 'nodes, 20 ids (20 ms)',
      target: 'gateway',
      ...latency,
      next: () => nodesOf(nodes20()),
      goal: { kind: 'latency', baselines: ['nodes, 1 id (20 ms)'], ratio: 3 },
    },
  ];
}
