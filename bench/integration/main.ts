/**
 * Yoga's node:http integration (what batchql runs) against its Fastify integration, the same schema
 * and resolvers in both, and the floor under both (`raw`: node:http answering the same JSON with no
 * GraphQL), each server in its own process: gateway CPU time per request (user + system,
 * from /proc), which is far less sensitive to other work on the cores than req/s. Rounds alternate
 * the order. BENCH_REQUESTS (20000), BENCH_ROUNDS (5), BENCH_CONNECTIONS (50).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import autocannon from 'autocannon';
import { median } from '../throughput/report.js';
import { loadAverage, machineLine, positiveInt } from '../throughput/setup.js';

const requests = positiveInt('BENCH_REQUESTS', 20_000);
const rounds = positiveInt('BENCH_ROUNDS', 5);
const connections = positiveInt('BENCH_CONNECTIONS', 50);
const TICKS = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;
const MODES = (process.env.BENCH_MODES?.split(',') ?? ['raw', 'node', 'fastify']) as readonly string[];

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

async function start(mode: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/integration/server.ts', mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()).port as number));
    child.once('exit', () => reject(new Error(`${mode} server exited`)));
  });
  return { child, port };
}

async function load(port: number, amount: number): Promise<number> {
  let n = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/graphql`,
    connections,
    amount,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
        setupRequest: (req) => ({
          ...req,
          body: JSON.stringify({
            query: 'query($id: ID!) { batch(id: $id) { id status percent createdAt } }',
            variables: { id: `b${n++ % 5000}` },
          }),
        }),
      },
    ],
  });
  return result.non2xx + result.errors;
}

console.log(machineLine('bench:integration'));
const servers = Object.fromEntries(await Promise.all(MODES.map(async (m) => [m, await start(m)] as const)));
for (const m of MODES) await load(servers[m]!.port, 3000); // warm-up
const cpu: Record<string, number[]> = Object.fromEntries(MODES.map((m) => [m, []]));
let failed = 0;
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? MODES : [...MODES].reverse();
  const line: string[] = [];
  for (const m of order) {
    const { child, port } = servers[m]!;
    const before = cpuSeconds(child.pid!);
    failed += await load(port, requests);
    const us = ((cpuSeconds(child.pid!) - before) * 1e6) / requests;
    cpu[m]!.push(us);
    line.push(`${m} ${us.toFixed(0)} µs`);
  }
  console.log(`round ${r + 1}: ${line.join(', ')}`);
}
console.log('\n| integration | µs CPU per request (median) | min | max |\n|---|---|---|---|');
for (const m of MODES) {
  const xs = cpu[m]!;
  console.log(`| ${m} | ${median(xs).toFixed(0)} | ${Math.min(...xs).toFixed(0)} | ${Math.max(...xs).toFixed(0)} |`);
}
console.log(`\nfailed responses: ${failed}; ${loadAverage()} at the end`);
for (const m of MODES) servers[m]!.child.kill();
