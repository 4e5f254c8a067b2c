/**
 * Gateway CPU time per request (issue 13, the upstream layer's measure): far less sensitive than req/s
 * to other work on the cores. The simulators run as their own process; each gateway is the built
 * `dist/main.js` of a folder (default: this one), so a build of the code before a change and one after
 * it run side by side against the same simulators, alternating round by round.
 *   tsx bench/cpu-per-request-upstream.ts [folder ...]   each folder holds a built dist/ (node_modules beside it)
 *   BENCH_REQUESTS per gateway per round (default 20000), BENCH_ROUNDS (5), BENCH_CONNECTIONS (50),
 *   BENCH_WARMUP_REQUESTS before round 1 (5000). The case is `rotating ids, variables` (Reach).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import autocannon from 'autocannon';
import { BUILT_COMMAND, spawnGateway, type GatewayProcess } from '../src/gateway-process.js';
import { buildIfStale } from './build.js';
import { spawnSims } from './sims-process.js';
import { benchCases, type BenchCase } from './throughput/cases.js';
import { benchIds, loadAverage, machineLine, positiveInt } from './throughput/setup.js';
import { BENCH_BATCHES, PRODUCTION_ENV } from './throughput/stack.js';

const requests = positiveInt('BENCH_REQUESTS', 20_000);
const rounds = positiveInt('BENCH_ROUNDS', 5);
const connections = positiveInt('BENCH_CONNECTIONS', 50);
const warmup = positiveInt('BENCH_WARMUP_REQUESTS', 5_000, 0);
const folders = process.argv.length > 2 ? process.argv.slice(2).map((f) => resolve(f)) : [process.cwd()];
/** Clock ticks per second of /proc/PID/stat (`getconf CLK_TCK`: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** User plus system CPU of a process so far, in microseconds (every thread: GC and libuv included). */
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at state (field 3); utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / TICKS_PER_SECOND;
}

/** Sends `amount` requests of `c`; returns how many failed (non-2xx, errors, GraphQL errors). */
async function load(c: BenchCase, origin: string, amount: number): Promise<number> {
  const result = await autocannon({
    url: origin,
    connections,
    amount,
    verifyBody: (body: string | Buffer | undefined) => !String(body).includes('"errors"'),
    requests: [
      {
        setupRequest: (req) => {
          const r = c.next();
          return { ...req, method: r.method, path: r.path, headers: r.headers, body: r.body ?? '' };
        },
      },
    ],
  });
  return result.non2xx + result.errors + (result.mismatches ?? 0);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

console.log(machineLine('cpu-per-request-upstream'));
console.log(`${rounds} rounds, ${requests} requests per gateway per round, ${connections} connections`);
if (folders.length === 1 && folders[0] === process.cwd()) buildIfStale();
const sims = await spawnSims({
  SIM_SEED: '1',
  SIM_BATCHES: String(BENCH_BATCHES),
  SIM_FACTCHECK_PLAN: 'enterprise',
  SIM_GAMEBALL_RATE_LIMITS: 'none',
});
const gateways: GatewayProcess[] = [];
try {
  for (const cwd of folders)
    gateways.push(
      await spawnGateway({ ...sims.env, ...PRODUCTION_ENV }, { command: BUILT_COMMAND, cwd, maxOutputChars: 100_000 }),
    );
  const ids = await benchIds(sims);
  const auth = { token: sims.env.REACH_TOKEN!, tenantId: sims.env.REACH_TENANT_ID! };
  const rotating = benchCases(ids, auth, connections, 1).find((c) => c.name === 'rotating ids, variables')!;
  const origins = gateways.map((g) => new URL(g.url).origin);
  if (warmup > 0) for (const origin of origins) await load(rotating, origin, warmup);
  const perRequest: number[][] = folders.map(() => []);
  for (let round = 1; round <= rounds; round++) {
    // Alternate which gateway goes first, so neither always runs after the other.
    const order = folders.map((_, i) => i);
    if (round % 2 === 0) order.reverse();
    for (const i of order) {
      const pid = gateways[i]!.child.pid!;
      const before = cpuMicros(pid);
      const started = performance.now();
      const failed = await load(rotating, origins[i]!, requests);
      const micros = (cpuMicros(pid) - before) / requests;
      const seconds = (performance.now() - started) / 1000;
      perRequest[i]!.push(micros);
      console.log(
        `round ${round} | ${folders[i]}: ${micros.toFixed(0)} µs CPU/request, ` +
          `${Math.round(requests / seconds)} req/s, failed ${failed}`,
      );
      if (failed > 0) throw new Error(`${failed} requests failed on ${folders[i]}`);
    }
  }
  console.log(`\nMedian µs of gateway CPU per request over ${rounds} rounds (and against the first, round by round):`);
  for (const [i, folder] of folders.entries()) {
    const ratios = perRequest[i]!.map((m, round) => m / perRequest[0]![round]!);
    console.log(
      `  ${median(perRequest[i]!).toFixed(0)} µs  ×${median(ratios).toFixed(2)}  ${folder}  ` +
        `(${perRequest[i]!.map((m) => m.toFixed(0)).join(', ')})`,
    );
  }
} finally {
  for (const g of gateways) await g.kill();
  await sims.close();
}
console.log(`\n${loadAverage()} at the end`);
process.exit(0);
