/**
 * `npm run bench`: throughput of a single-batch query through the gateway versus the same
 * upstream request made directly to the simulator. The simulators run in this process; the
 * gateway runs as its own process (`src/main.ts`, as `npm start` runs it); autocannon drives both.
 *   BENCH_DURATION seconds per run (default 10), BENCH_CONNECTIONS (default 50).
 */
import autocannon from 'autocannon';
import { simulatorEnv } from '../src/gateway-env.js';
import { spawnGateway } from '../src/gateway-process.js';
import { createSystemClock, startSimulators } from '../src/simulators/index.js';

const duration = Number(process.env.BENCH_DURATION ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);

const sims = await startSimulators({ clock: createSystemClock(), seed: 1, batchCount: 300 });
const id = sims.factCheck.control.idsByState()['done']?.[0];
if (!id) throw new Error('simulator has no finished Check batch');

const gateway = await spawnGateway({
  ...simulatorEnv(
    { reach: sims.reach.url, gameball: sims.gameball.url, factCheck: sims.factCheck.url },
    sims.credentials,
  ),
  UPSTREAM_CONNECTIONS: '50',
});

const query =
  `{ batch(provider: FACT_CHECK, providerBatchId: "${id}") { ` +
  'id status providerStatus isTerminal progress { total processed succeeded failed pending percent } ' +
  'createdAt completedAt ... on FactCheckBatch { name methods { method weight } totalCostCents } } }';

async function run(title: string, opts: autocannon.Options): Promise<number> {
  const result = await autocannon({ duration, connections, ...opts });
  const failures = result.non2xx + result.errors + (result.mismatches ?? 0);
  console.log(
    `${title}: ${result.requests.average.toFixed(0)} req/s, p50 ${result.latency.p50} ms, ` +
      `p99 ${result.latency.p99} ms, failed responses ${failures}`,
  );
  return result.requests.average;
}

console.log(`batchql bench: ${duration}s per run, ${connections} connections, Node ${process.version}`);
const direct = await run(`direct   GET ${'/v1/batch/:id'} (simulator)`, {
  url: `${sims.factCheck.url}/v1/batch/${id}`,
  headers: { authorization: `Bearer ${sims.credentials.factCheck.apiKey}` },
});
const viaGateway = await run('gateway  query batch(FACT_CHECK)  ', {
  url: gateway.url,
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ query }),
  // A GraphQL error inside a 200 counts as a failure too.
  verifyBody: (body) => !String(body).includes('"errors"'),
});
console.log(`ratio gateway/direct: ${(viaGateway / direct).toFixed(2)}`);

// Let the gateway finish the requests autocannon abandoned at the end before the simulators go.
await gateway.kill();
await sims.close();
process.exit(0);
