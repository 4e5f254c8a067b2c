/**
 * `npx tsx bench/ledger-dashboard.ts`: the dashboard workload of the ledger (issue 31, item 7). The real gateway
 * (its own process, as the other benches start it) in front of the real simulators, Check on its **Pro plan** on
 * both sides: the simulator answers 429 beyond 200 requests a minute (`factCheckPlan: 'pro'`) and the gateway
 * budgets Check by `FACTCHECK_PLAN=pro` (`200/60s`, of which queries own `UPSTREAM_INTERACTIVE_SHARE`). Check is
 * seeded with at least 1,000 finished and 100 running batches (the `mixed` data set, 20 to 40 min durations, so
 * the running ones run throughout). BENCH_OPERATORS operators, each its own client (`TRUST_PROXY=1` and an
 * `X-Forwarded-For` address each, as behind a load balancer), every 10 s (spread over the 10 s):
 * - load a 100-row page of `batches` (the dashboard's `Batches` query and `BatchRow` fields, its Check view:
 *   `providers: [FACT_CHECK]`), statuses and `createdAfter` drawn per operator and tick, newest first (Check
 *   lists only newest first: any other order leaves Check out of the list, an empty page at no cost);
 * - open 5 finished batches from the finished pool and 2 running ones from the running pool, one request each,
 *   by global id with `node(id)` (the dashboard's `BatchDetail` selection; `BENCH_OPEN=row` asks the row's fields
 *   only, which a list row already has).
 * Before the measurement, the ledger is brought to what a gateway in service holds: a warm-up gateway (its own
 * process, no budget of its own) on the same store reads every finished batch of the pool once in full, in runs
 * of 100 reads (well within Check's 200 a minute), the simulators' clock moved on a minute after each run (the world
 * ages as it would have while those reads were spread over time). The measured gateway then learns the running
 * ones as a dashboard does: one client pages through the whole Check list (100-row pages) once. Neither is
 * counted. Opens ask `maxAge: BENCH_MAX_AGE` (30 s by default): a running batch read that recently is answered
 * from its stored reading, as a dashboard whose progress figure may be that old would ask.
 * Prints client reads (a page is one read), upstream calls to Check counted at the simulator (the requests that
 * reached it, by kind: list pages, reads of finished and of running batches), client reads per upstream call
 * (goal >= 50), upstream 429s (simulator and the gateway's `batchql_upstream_requests_total`) and client errors
 * (goal 0), and p50/p99 latency of client requests per kind and overall, of all of them and of those answered
 * without error (a refusal of the gateway's own budget comes back at once).
 *   BENCH_SECONDS (default 180), BENCH_OPERATORS (50), BENCH_OPEN (`detail`, the default, or `row`),
 *   BENCH_MAX_AGE (30 seconds; `none` opens without it),
 *   BENCH_STORE (`embedded`, the default: a temporary DATA_DIR, or `postgres`: a throwaway local cluster,
 *   `src/dev/local-postgres.ts`, as DATABASE_URL).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toGlobalId } from '../src/domain/global-id.js';
import { simulatorEnv } from '../src/dev/gateway-env.js';
import { spawnGateway } from '../src/dev/gateway-process.js';
import { startLocalPostgres, type LocalPostgres } from '../src/dev/local-postgres.js';
import { createRandom } from '../src/dev/simulators/clock.js';
import { createRealTimeClock, startSimulators } from '../src/dev/simulators/index.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 180);
const operators = Number(process.env.BENCH_OPERATORS ?? 50);
const openSelection = process.env.BENCH_OPEN === 'row' ? 'row' : 'detail';
const maxAge = process.env.BENCH_MAX_AGE === 'none' ? null : Number(process.env.BENCH_MAX_AGE ?? 30);
/** Reads per warm-up run: within Check Pro's 200 a minute, with room for the list walk. */
const WARMUP_RUN = 100;
/** The running batches operators open. */
const RUNNING_POOL = 100;
const storeKind = process.env.BENCH_STORE === 'postgres' ? 'postgres' : 'embedded';
const TICK_MS = 10_000;
const PAGE_SIZE = 100;
const FINISHED_OPENS = 5;
const RUNNING_OPENS = 2;

/** The dashboard's row fields (dashboard/src/documents/batches.graphql, `BatchRow`). */
const BATCH_ROW = `fragment BatchRow on Batch {
  __typename id provider providerBatchId status providerStatus isTerminal createdAt startedAt completedAt
  errorMessage observedAt stale staleReason nextRefreshAt servedFrom
  progress { total processed succeeded failed pending percent ratePerSecond estimatedCompletionAt }
  ... on FactCheckBatch { name }
  ... on ReachBatch { batchType batchTypeRaw schemaName pendingRecords }
  ... on GameballBatch { totalItems }
}`;
const PAGE_QUERY = `query Batches($first: Int, $after: String, $filter: BatchFilter) {
  batches(first: $first, after: $after, filter: $filter) {
    totalCount
    excludedProviders { provider reason message }
    pageInfo { hasNextPage endCursor }
    edges { cursor node { ...BatchRow } }
  }
}
${BATCH_ROW}`;
/** The dashboard's detail panel (dashboard/src/documents/detail.graphql, `BatchDetail`), Check's part. */
const DETAIL_QUERY = `query BatchDetail($id: ID!, $maxAge: Int) {
  node(id: $id, maxAge: $maxAge) {
    __typename id
    ... on Batch { ...BatchRow }
    ... on FactCheckBatch {
      inputFormat originalFileName methods { method weight } context totalCostCents totalInputTokens
      totalOutputTokens expiresAt validationErrors { row message }
    }
  }
}
${BATCH_ROW}`;
const ROW_QUERY = `query BatchRowById($id: ID!, $maxAge: Int) {
  node(id: $id, maxAge: $maxAge) { __typename id ... on Batch { ...BatchRow } } }
${BATCH_ROW}`;
const OPEN_QUERY = openSelection === 'row' ? ROW_QUERY : DETAIL_QUERY;

/** The statuses and creation bounds an operator's page asks for, drawn per tick. */
const STATUSES: (string[] | undefined)[] = [
  undefined,
  undefined,
  ['RUNNING'],
  ['QUEUED', 'RUNNING'],
  ['SUCCEEDED', 'PARTIALLY_SUCCEEDED'],
  ['SUCCEEDED'],
  ['FAILED', 'CANCELLED'],
];
const CREATED_WITHIN_MS: (number | undefined)[] = [undefined, undefined, 3_600_000, 86_400_000, 7 * 86_400_000];

type Kind = 'page' | 'finished open' | 'running open';
const KINDS: Kind[] = ['page', 'finished open', 'running open'];
const latencies: Record<Kind, number[]> = { page: [], 'finished open': [], 'running open': [] };
/** The latencies of the reads answered without error (a refusal of the gateway's budget is quick). */
const answeredLatencies: Record<Kind, number[]> = { page: [], 'finished open': [], 'running open': [] };
const failures: Record<Kind, Map<string, number>> = {
  page: new Map(),
  'finished open': new Map(),
  'running open': new Map(),
};
const fromLedger: Record<Kind, number> = { page: 0, 'finished open': 0, 'running open': 0 };

const clock = createRealTimeClock();
const sims = await startSimulators({
  clock,
  seed: 31,
  batchCount: 1600,
  profile: 'mixed',
  durationMs: { min: 1_200_000, max: 2_400_000 },
  factCheckPlan: 'pro',
});
const finishedNow = () => {
  const byState = sims.factCheck.control.idsByState();
  return [...byState.done!, ...byState.partial!, ...byState.failed!, ...byState.cancelled!];
};

const dataDir = mkdtempSync(join(tmpdir(), 'batchql-bench-ledger-dashboard-'));
let cluster: LocalPostgres | undefined;
if (storeKind === 'postgres') cluster = await startLocalPostgres();
const store = { DATA_DIR: dataDir, ...(cluster ? { DATABASE_URL: cluster.url } : {}) };

// The warm-up: every batch finished now is read once in full into the ledger, as a gateway in service had.
const warmupStarted = performance.now();
const toWarm = finishedNow();
{
  const warm = await spawnGateway({ ...simulatorEnv(sims), LOG_LEVEL: 'warn', ...store }, { maxOutputChars: 20_000 });
  for (let from = 0; from < toWarm.length; from += WARMUP_RUN) {
    await Promise.all(
      toWarm.slice(from, from + WARMUP_RUN).map(async (id) => {
        const answer = await post(warm.url, '10.31.255.2', DETAIL_QUERY, { id: toGlobalId('FACT_CHECK', id) });
        if (answer.failure !== undefined) throw new Error(`warm-up read of ${id}: ${answer.failure}`);
      }),
    );
    clock.advance(60_000);
  }
  await warm.kill();
}
const warmupSeconds = (performance.now() - warmupStarted) / 1000;
const warmupMinutes = Math.ceil(toWarm.length / WARMUP_RUN);

const byState = sims.factCheck.control.idsByState();
const finished = toWarm;
// The running pool: the 100 (the first by id), each opened about every 10 s by someone.
const running = [...byState.running!].sort().slice(0, RUNNING_POOL);
if (finished.length < 1000 || running.length < 100)
  throw new Error(`pools too small: ${finished.length} finished, ${running.length} running`);
const finishedSet = new Set(finished);
const runningSet = new Set(running);

const gateway = await spawnGateway(
  {
    ...simulatorEnv(sims),
    // The documented Pro quota on both sides (simulatorEnv turns the gateway's budget off for other benches).
    FACTCHECK_PLAN: 'pro',
    FACTCHECK_RATE_LIMIT: '',
    // Each operator is its own client (its X-Forwarded-For address), as behind a load balancer.
    TRUST_PROXY: '1',
    LOG_LEVEL: 'warn',
    ...store,
  },
  { maxOutputChars: 200_000 },
);
const metricsUrl = gateway.url.replace(/\/graphql$/, '/metrics');

interface GraphQLAnswer {
  data?: Record<string, unknown> | null;
  errors?: { message?: string; extensions?: { code?: string } }[];
}

/** One GraphQL POST to `url` as client `address`; answers the body, or a failure code. */
async function post(url: string, address: string, query: string, variables: Record<string, unknown>) {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as GraphQLAnswer;
    if (body.errors?.length) return { failure: body.errors[0]?.extensions?.code ?? `HTTP ${res.status}` };
    if (!res.ok) return { failure: `HTTP ${res.status}` };
    return { body };
  } catch (error) {
    return { failure: `NETWORK ${(error as Error).name}` };
  }
}

/** One timed client read of `kind`, its outcome counted. */
async function read(kind: Kind, address: string, query: string, variables: Record<string, unknown>) {
  const started = performance.now();
  const answer = await post(gateway.url, address, query, variables);
  const ms = performance.now() - started;
  latencies[kind].push(ms);
  if (answer.failure !== undefined) {
    failures[kind].set(answer.failure, (failures[kind].get(answer.failure) ?? 0) + 1);
    return undefined;
  }
  answeredLatencies[kind].push(ms);
  if ((answer.body.data?.node as { servedFrom?: string } | undefined)?.servedFrom === 'LEDGER') fromLedger[kind]++;
  return answer.body;
}

// The measured gateway learns the running batches as a dashboard does: one client pages through the Check list.
sims.factCheck.control.resetCounters();
let warmupPages = 0;
let after: string | null = null;
do {
  const answer = await post(gateway.url, '10.31.255.1', PAGE_QUERY, {
    first: PAGE_SIZE,
    after,
    filter: { providers: ['FACT_CHECK'] },
  });
  if (answer.failure !== undefined) throw new Error(`warm-up page: ${answer.failure}`);
  const page = (answer.body.data as { batches: { pageInfo: { hasNextPage: boolean; endCursor: string | null } } })
    .batches;
  warmupPages++;
  after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
} while (after);
const warmupCalls = sims.factCheck.control.totalRequests();
await new Promise((r) => setTimeout(r, 200)); // the ledger writes every 50 ms

/** The gateway's Check counters: upstream calls by outcome, and reads answered by the ledger. */
async function gatewayCounters() {
  const text = await (await fetch(metricsUrl)).text();
  const outcomes = new Map<string, number>();
  let served = 0;
  for (const line of text.split('\n')) {
    const upstream = /^batchql_upstream_requests_total\{(.*)\} (\S+)$/.exec(line);
    if (upstream?.[1]?.includes('provider="FACT_CHECK"')) {
      const outcome = /outcome="([^"]*)"/.exec(upstream[1])?.[1] ?? '?';
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + Number(upstream[2]));
    }
    const ledger = /^batchql_ledger_served_total\{(.*)\} (\S+)$/.exec(line);
    if (ledger?.[1]?.includes('provider="FACT_CHECK"')) served += Number(ledger[2]);
  }
  return { outcomes, served };
}

console.log(
  `bench ledger-dashboard: ${operators} operators, each every ${TICK_MS / 1000} s: a ${PAGE_SIZE}-row page of ` +
    `batches (Check), ${FINISHED_OPENS} finished opens, ${RUNNING_OPENS} running opens (${openSelection} selection); ` +
    `${seconds} s, the ${storeKind} store, Check on the Pro plan (200/min), Node ${process.version}`,
);
console.log(
  `pools: ${finished.length} finished, ${running.length} running Check batches (1,600 seeded). Not counted: ` +
    `the warm-up read each finished one once in full (${toWarm.length} reads in ${warmupSeconds.toFixed(0)} s, ` +
    `the world moved on ${warmupMinutes} min), then the measured gateway walked the Check list ` +
    `(${warmupPages} pages of ${PAGE_SIZE}, ${warmupCalls} upstream calls); opens ask maxAge: ${maxAge ?? 'none'}`,
);

const before = await gatewayCounters();
sims.factCheck.control.resetCounters();
const start = Date.now();
const end = start + seconds * 1000;

async function operator(i: number): Promise<void> {
  const rand = createRandom(31_000 + i);
  const address = `10.31.${Math.floor(i / 250)}.${(i % 250) + 1}`;
  for (let tick = 0; ; tick++) {
    const at = start + (i * TICK_MS) / operators + tick * TICK_MS;
    if (at >= end) return;
    await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
    const statuses = rand.pick(STATUSES);
    const within = rand.pick(CREATED_WITHIN_MS);
    const filter = {
      providers: ['FACT_CHECK'],
      ...(statuses ? { statuses } : {}),
      ...(within ? { createdAfter: new Date(Date.now() - within).toISOString() } : {}),
    };
    await read('page', address, PAGE_QUERY, { first: PAGE_SIZE, filter });
    for (let n = 0; n < FINISHED_OPENS; n++)
      await read('finished open', address, OPEN_QUERY, { id: toGlobalId('FACT_CHECK', rand.pick(finished)), maxAge });
    for (let n = 0; n < RUNNING_OPENS; n++)
      await read('running open', address, OPEN_QUERY, { id: toGlobalId('FACT_CHECK', rand.pick(running)), maxAge });
  }
}
await Promise.all(Array.from({ length: operators }, (_, i) => operator(i)));
const elapsed = (Date.now() - start) / 1000;
const afterCounters = await gatewayCounters();

// Upstream calls that reached Check, by kind, from the simulator's request log.
const upstreamByKind = new Map<string, number>();
for (const r of sims.factCheck.control.requests()) {
  let kind = `${r.method} ${r.path}`;
  if (r.method === 'GET' && r.path === '/v1/batch') kind = 'list page';
  else if (r.method === 'GET' && r.path.startsWith('/v1/batch/')) {
    const id = r.path.slice('/v1/batch/'.length);
    kind = finishedSet.has(id) ? 'read of a finished batch' : runningSet.has(id) ? 'read of a running batch' : kind;
  }
  upstreamByKind.set(kind, (upstreamByKind.get(kind) ?? 0) + 1);
}
const upstreamCalls = sims.factCheck.control.totalRequests();
const outcomes = Object.fromEntries(
  [...afterCounters.outcomes].map(([k, v]) => [k, v - (before.outcomes.get(k) ?? 0)]).filter(([, v]) => v !== 0),
);

const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN;
const reads = KINDS.reduce((n, k) => n + latencies[k].length, 0);
const failed = KINDS.reduce((n, k) => n + [...failures[k].values()].reduce((a, b) => a + b, 0), 0);

console.log(`measured ${elapsed.toFixed(0)} s`);
console.log('| kind | client reads | failed | answered from the ledger | p50 | p99 | answered p50 | answered p99 |');
console.log('|---|---|---|---|---|---|---|---|');
for (const kind of [...KINDS, 'all' as const]) {
  const sorted = (of: Record<Kind, number[]>) =>
    (kind === 'all' ? KINDS.flatMap((k) => of[k]) : [...of[kind]]).sort((a, b) => a - b);
  const list = sorted(latencies);
  const answered = sorted(answeredLatencies);
  const bad = kind === 'all' ? failed : [...failures[kind].values()].reduce((a, b) => a + b, 0);
  const ledger = kind === 'all' ? KINDS.reduce((n, k) => n + fromLedger[k], 0) : fromLedger[kind];
  console.log(
    `| ${kind} | ${list.length} | ${bad} | ${kind === 'page' ? '-' : ledger} | ` +
      `${percentile(list, 50).toFixed(1)} ms | ${percentile(list, 99).toFixed(1)} ms | ` +
      `${percentile(answered, 50).toFixed(1)} ms | ${percentile(answered, 99).toFixed(1)} ms |`,
  );
}
console.log(
  `upstream calls to Check (counted at the simulator): ${upstreamCalls} ` +
    `(${(upstreamCalls / (elapsed / 60)).toFixed(0)}/min), by kind ` +
    JSON.stringify(Object.fromEntries(upstreamByKind)),
);
console.log(
  `client reads per upstream call: ${(reads / Math.max(1, upstreamCalls)).toFixed(1)} (goal >= 50); ` +
    `reads answered without error per upstream call: ${((reads - failed) / Math.max(1, upstreamCalls)).toFixed(1)}`,
);
console.log(
  `429s: ${sims.factCheck.control.refused()} sent by Check (goal 0); the gateway's Check calls sent, by outcome ` +
    `(batchql_upstream_requests_total): ${JSON.stringify(outcomes)} (calls its own budget refused never went ` +
    'out: they are client errors, PROVIDER_RATE_LIMITED); ' +
    `ledger answers (batchql_ledger_served_total): ${afterCounters.served - before.served}`,
);
const failuresByKind = KINDS.filter((k) => failures[k].size).map((k) => [k, Object.fromEntries(failures[k])]);
console.log(
  `client errors: ${failed} of ${reads} reads (goal 0)` +
    (failed ? `: ${JSON.stringify(Object.fromEntries(failuresByKind))}` : ''),
);
await gateway.kill();
await sims.close();
cluster?.close();
rmSync(dataDir, { recursive: true, force: true });
