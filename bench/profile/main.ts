/**
 * `npm run bench:profile` (issue 13): the rotating-ids-with-variables case of `npm run bench` with the
 * gateway under `node --cpu-prof`, then the top functions and packages by self time, as shares of the
 * gateway's busy time during the load (start-up, warm-up and shutdown are left out by time).
 *   BENCH_CASE the case of `npm run bench` to profile (default `rotating ids, variables`),
 *   BENCH_DURATION seconds of load (default 20), BENCH_CONNECTIONS (50), BENCH_WARMUP seconds before (3),
 *   BENCH_PROFILE_DIR where the `.cpuprofile` is kept (default: a new temporary folder; it opens in Chrome DevTools).
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchCases } from '../throughput/cases.js';
import { runCase } from '../throughput/load.js';
import { benchIds, loadAverage, machineLine, positiveInt } from '../throughput/setup.js';
import { startStack } from '../throughput/stack.js';
import { profileTables, summariseProfile, type CpuProfile } from './cpuprofile.js';

const duration = positiveInt('BENCH_DURATION', 20);
const connections = positiveInt('BENCH_CONNECTIONS', 50);
const warmup = positiveInt('BENCH_WARMUP', 3, 0);
const caseName = process.env.BENCH_CASE?.trim() || 'rotating ids, variables';
const dir = process.env.BENCH_PROFILE_DIR?.trim() || mkdtempSync(join(tmpdir(), 'batchql-profile-'));

console.log(machineLine('bench:profile'));
const stack = await startStack({ nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
let window: { fromMs: number; toMs: number };
try {
  const { sims, gateway } = stack;
  const ids = await benchIds(sims);
  const auth = { token: sims.env.REACH_TOKEN!, tenantId: sims.env.REACH_TENANT_ID! };
  const cases = benchCases(ids, auth, connections, 1);
  const rotating = cases.find((c) => c.name === caseName);
  if (!rotating) throw new Error(`BENCH_CASE: no case "${caseName}" (${cases.map((c) => c.name).join(', ')})`);
  const origin = new URL(gateway.url).origin;
  if (warmup > 0) await runCase(rotating, origin, warmup);
  const from = Date.now();
  const m = await runCase(rotating, origin, duration);
  window = { fromMs: from - stack.gatewaySpawnedAt, toMs: Date.now() - stack.gatewaySpawnedAt };
  console.log(
    `${rotating.name}, ${connections} connections, ${duration}s under --cpu-prof: ${Math.round(m.rps)} req/s, ` +
      `p50 ${m.p50} ms, p99 ${m.p99} ms, failed ${m.failed}`,
  );
} finally {
  // SIGTERM: the gateway drains and exits normally, which writes the profile.
  await stack.close();
}
const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
if (!file) throw new Error(`the gateway wrote no .cpuprofile into ${dir}`);
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
console.log(`profile: ${join(dir, file)}\n`);
console.log(profileTables(summariseProfile(profile, { projectRoot: process.cwd(), ...window })));
console.log(`\n${loadAverage()} at the end`);
process.exit(0);
