/**
 * Gateway CPU time per request (`npm run bench:cpu`; issue 13): far less sensitive to other work on the
 * cores than req/s. The simulators run as their own process (as `npm run bench`), and one built gateway
 * per variant (`BENCH_VARIANTS`: comma-separated `name=dir [KEY=value ...]`, each `dir` holding a built
 * `dist/`, the settings added to the gateway's environment; default `this=.`, built when stale); each
 * round sends `BENCH_REQUESTS` requests of each case to each variant in turn (the order alternates by
 * round) at `BENCH_CONNECTIONS`, reading the gateway's user+system CPU time from `/proc/<pid>/stat`
 * before and after. Prints the median, min and max µs of CPU per request.
 *   BENCH_REQUESTS (default 8000), BENCH_ROUNDS (5), BENCH_CONNECTIONS (50),
 *   BENCH_CASES (comma-separated case names of `throughput/cases.ts`; default both rotating cases).
 * A variant's `dir` needs `dist/`, `schema/`, `package.json` and `node_modules` (symlinks are fine).
 */
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import autocannon from 'autocannon';
import { spawnGateway, type GatewayProcess } from '../src/dev/gateway-process.js';
import { buildIfStale } from './build.js';
import { spawnSims } from './sims-process.js';
import { benchCases, type BenchCase } from './throughput/cases.js';
import { median } from './throughput/report.js';
import { benchIds, loadAverage, machineLine, positiveInt } from './throughput/setup.js';
import { BENCH_BATCHES, PRODUCTION_ENV } from './throughput/stack.js';

const requests = positiveInt('BENCH_REQUESTS', 8000);
const rounds = positiveInt('BENCH_ROUNDS', 5);
const connections = positiveInt('BENCH_CONNECTIONS', 50);
const caseNames = (process.env.BENCH_CASES?.trim() || 'rotating ids, variables,rotating ids, inline')
  .split(/,(?! )/)
  .map((s) => s.trim());
const variants = (process.env.BENCH_VARIANTS?.trim() || 'this=.').split(',').map((pair) => {
  const [name, rest] = pair.split(/=(.*)/s);
  const [dir, ...settings] = (rest ?? '').split(' ');
  if (!name || !dir) throw new Error(`BENCH_VARIANTS: "${pair}" is not name=dir [KEY=value ...]`);
  const env = Object.fromEntries(
    settings.filter(Boolean).map((kv) => kv.split(/=(.*)/s).slice(0, 2) as [string, string]),
  );
  return { name, dir: resolve(dir), env };
});
const TICKS = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;

/** User + system CPU seconds of a process so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

/** Sends `amount` requests of `c`; returns how many failed (non-2xx, errors, GraphQL `errors`). */
async function send(c: BenchCase, origin: string, amount: number): Promise<number> {
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
  return result.non2xx + result.errors + (result.mismatches ?? 0) + result.timeouts;
}

console.log(machineLine('bench:cpu'));
console.log(`${rounds} rounds of ${requests} requests per case and variant, ${connections} connections`);
if (variants.some((v) => v.dir === process.cwd())) buildIfStale();
const sims = await spawnSims({
  SIM_SEED: '1',
  SIM_BATCHES: String(BENCH_BATCHES),
  SIM_FACTCHECK_PLAN: 'enterprise',
  SIM_GAMEBALL_RATE_LIMITS: 'none',
});
const gateways: { name: string; gateway: GatewayProcess }[] = [];
try {
  for (const v of variants) {
    const gateway = await spawnGateway(
      { ...sims.env, ...PRODUCTION_ENV, ...v.env },
      { command: [process.execPath, 'dist/main.js'], cwd: v.dir, maxOutputChars: 20_000 },
    );
    gateways.push({ name: v.name, gateway });
  }
  const ids = await benchIds(sims);
  const auth = { token: sims.env.REACH_TOKEN!, tenantId: sims.env.REACH_TENANT_ID! };
  const all = benchCases(ids, auth, connections, 1);
  const cases = caseNames.map((n) => {
    const c = all.find((x) => x.name === n);
    if (!c) throw new Error(`no case "${n}" (have: ${all.map((x) => x.name).join('; ')})`);
    return c;
  });
  for (const { gateway } of gateways)
    for (const c of cases) await send(c, new URL(gateway.url).origin, Math.min(2000, requests));
  const samples: Record<string, number[]> = {};
  let failed = 0;
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 ? gateways : [...gateways].reverse();
    const line: string[] = [];
    for (const c of cases)
      for (const { name, gateway } of order) {
        const pid = gateway.child.pid!;
        const before = cpuSeconds(pid);
        failed += await send(c, new URL(gateway.url).origin, requests);
        const us = ((cpuSeconds(pid) - before) / requests) * 1e6;
        (samples[`${name} | ${c.name}`] ??= []).push(us);
        line.push(`${name}/${c.name} ${Math.round(us)}`);
      }
    console.log(`round ${round}: ${line.join(', ')} µs`);
  }
  console.log('\n| variant | case | µs CPU per request (median) | min | max |\n|---|---|---|---|---|');
  for (const [key, values] of Object.entries(samples)) {
    const [name, c] = key.split(' | ');
    const [mid, low, high] = [median(values), Math.min(...values), Math.max(...values)].map(Math.round);
    console.log(`| ${name} | ${c} | ${mid} | ${low} | ${high} |`);
  }
  console.log(`\nfailed responses: ${failed}; ${loadAverage()} at the end`);
} finally {
  for (const { gateway } of gateways) await gateway.kill();
  await sims.close();
}
process.exit(0);
