/**
 * `npm run bench:faults`: sustained load on the gateway (its own process) while the three
 * simulators cycle through every fault kind, each provider on a different one at a time.
 * Prints requests served, error codes by kind, p99 latency, and the counts that must be zero:
 * 5xx responses, responses hung past the deadline, and the planted secret in any response
 * body or gateway log line.
 *   BENCH_SECONDS (default 40), BENCH_CONNECTIONS (default 20), BENCH_FAULT_PERIOD_MS (default 2000).
 */
import autocannon from 'autocannon';
import { toGlobalId } from '../src/domain/global-id.js';
import { simulatorEnv } from '../src/dev/gateway-env.js';
import { spawnGateway } from '../src/dev/gateway-process.js';
import { createSystemClock, startSimulators, type FaultRule } from '../src/dev/simulators/index.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 40);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 20);
const periodMs = Number(process.env.BENCH_FAULT_PERIOD_MS ?? 2000);
const deadlineMs = 2_000;
const SECRET = /SIM-SECRET-do-not-leak|10\.0\.3\.7|sk_live_/;

const sims = await startSimulators({ clock: createSystemClock(), seed: 5, batchCount: 300 });
const gateway = await spawnGateway({
  ...simulatorEnv(sims),
  UPSTREAM_DEADLINE_MS: String(deadlineMs),
  // The per-phase timeouts may not exceed the deadline (a configuration rule).
  UPSTREAM_CONNECT_TIMEOUT_MS: String(deadlineMs),
  UPSTREAM_HEADERS_TIMEOUT_MS: String(deadlineMs),
  UPSTREAM_BREAKER_HALF_OPEN_MS: '1000',
  LOG_LEVEL: 'info',
});

const ids = {
  REACH: sims.reach.control.idsByState().running!.slice(0, 5),
  GAMEBALL: sims.gameball.control.idsByState().running!.slice(0, 5),
  FACT_CHECK: sims.factCheck.control.idsByState().running!.slice(0, 5),
};
const all = [
  ...ids.REACH.map((i) => toGlobalId('REACH', i)),
  ...ids.GAMEBALL.map((i) => toGlobalId('GAMEBALL', i)),
  ...ids.FACT_CHECK.map((i) => toGlobalId('FACT_CHECK', i)),
];
const bodies = [
  {
    query: 'query($id: ID!) { node(id: $id) { id ... on Batch { status progress { percent } } } }',
    variables: { id: all[0] },
  },
  { query: 'query($id: ID!) { node(id: $id) { id ... on Batch { status } } }', variables: { id: all[5] } },
  { query: 'query($id: ID!) { node(id: $id) { id ... on Batch { status } } }', variables: { id: all[10] } },
  { query: 'query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Batch { status } } }', variables: { ids: all } },
  { query: '{ batches(first: 20) { totalCount edges { node { id status } } } }' },
];

const FAULTS: (FaultRule | null)[] = [
  null,
  { kind: 'http5xx', status: 500 },
  { kind: 'http5xx', status: 503 },
  { kind: 'http5xx', status: 504 },
  { kind: 'rateLimit', retryAfterSeconds: 30 },
  { kind: 'rateLimit' },
  { kind: 'hang' },
  { kind: 'reset' },
  { kind: 'malformedJson' },
  { kind: 'unknownStatus', status: 'quarantined' },
];
let tick = 0;
const cycler = setInterval(() => {
  tick++;
  sims.all().forEach((sim, i) => sim.control.setFault(FAULTS[(tick + i * 3) % FAULTS.length] ?? null));
}, periodMs);

const codes = new Map<string, number>();
let leaked = 0;
let served = 0;
let withErrors = 0;
const result = await autocannon({
  url: gateway.url,
  connections,
  duration: seconds,
  timeout: Math.ceil((deadlineMs + 2_000) / 1000),
  requests: bodies.map((b) => ({
    method: 'POST' as const,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(b),
    onResponse: (_status: number, body: string) => {
      served++;
      if (SECRET.test(body)) leaked++;
      const errors = (JSON.parse(body) as { errors?: { extensions?: { code?: string } }[] }).errors ?? [];
      if (errors.length > 0) withErrors++;
      for (const e of errors)
        codes.set(e.extensions?.code ?? '(none)', (codes.get(e.extensions?.code ?? '(none)') ?? 0) + 1);
    },
  })),
});
clearInterval(cycler);

const fiveXx = result['5xx'];
const logLeaks = gateway
  .output()
  .split('\n')
  .filter(
    (l) =>
      SECRET.test(l) ||
      l.includes(sims.credentials.factCheck.apiKey) ||
      l.includes(sims.credentials.gameball.secretKey),
  ).length;
console.log(
  `batchql bench:faults: ${seconds}s, ${connections} connections, ` +
    `faults rotate every ${periodMs} ms across ${FAULTS.length - 1} kinds, ` +
    `deadline ${deadlineMs} ms, Node ${process.version}`,
);
console.log(
  `requests served: ${served} (${result.requests.average.toFixed(0)} req/s), with GraphQL errors: ${withErrors}`,
);
console.log(
  `error codes: ${[...codes.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([c, n]) => `${c} ${n}`)
    .join(', ')}`,
);
console.log(`latency: p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms`);
console.log(
  `must be zero: 5xx ${fiveXx}, hung past deadline ${result.timeouts}, socket errors ${result.errors}, ` +
    `secret in responses ${leaked}, secret in logs ${logLeaks}`,
);

await gateway.kill();
await sims.close();
process.exit(fiveXx + result.timeouts + leaked + logLeaks === 0 ? 0 : 1);
