/**
 * CPU time of the upstream call path alone (issue 13): the Reach client (`createUpstreamHttp`: budget,
 * shared GETs, deadline, breaker, retries, bulkhead, undici, wire read) in this process against the
 * simulators in their own, with production defaults. Prints µs of this process's CPU per call: a
 * finer measure of the upstream layer than the whole gateway's `npm run bench:cpu`.
 *   BENCH_CALLS per round (default 20000), BENCH_ROUNDS (7), BENCH_CONCURRENCY (50).
 */
import { spawnSims } from './sims-process.js';
import { BENCH_BATCHES } from './throughput/stack.js';
import { positiveInt } from './throughput/setup.js';
import { loadConfig } from '../src/config.js';
import { createReachAdapter } from '../src/providers/reach/adapter.js';
import { createReachHttpClient } from '../src/providers/reach/client.js';

const calls = positiveInt('BENCH_CALLS', 20_000);
const rounds = positiveInt('BENCH_ROUNDS', 7);
const concurrency = positiveInt('BENCH_CONCURRENCY', 50);

const sims = await spawnSims({ SIM_SEED: '1', SIM_BATCHES: String(BENCH_BATCHES), SIM_GAMEBALL_RATE_LIMITS: 'none' });
// Production defaults: the configuration of an environment that sets none of them.
const defaults = loadConfig({ AUTH_MODE: 'none' });
const reach = createReachAdapter(
  createReachHttpClient({
    ...defaults.upstream,
    pauseCapMs: defaults.live.errorMaxMs,
    baseUrl: sims.env.REACH_BASE_URL!,
    token: sims.env.REACH_TOKEN!,
    tenantId: sims.env.REACH_TENANT_ID!,
    rateLimit: [],
    userAgent: 'batchql/bench',
    observe: () => {},
  }),
);
const ids = Object.values(await sims.ids('reach')).flat();
let next = 0;

/** `count` calls, `concurrency` at a time, each with its own signal as a GraphQL request's call has. */
async function run(count: number): Promise<void> {
  let sent = 0;
  const worker = async () => {
    while (sent < count) {
      sent++;
      const id = ids[next++ % ids.length]!;
      const batch = await reach.get(id, { signal: new AbortController().signal });
      if (batch.providerBatchId !== id) throw new Error(`not batch ${id}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

try {
  await run(5_000);
  const results: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    const before = process.cpuUsage();
    await run(calls);
    const used = process.cpuUsage(before);
    results.push((used.user + used.system) / calls);
    console.log(`round ${round}: ${results.at(-1)!.toFixed(1)} µs CPU per upstream call`);
  }
  const sorted = [...results].sort((a, b) => a - b);
  console.log(
    `median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} µs CPU per upstream call (${process.cwd()})`,
  );
} finally {
  await reach.close();
  await sims.close();
}
process.exit(0);
