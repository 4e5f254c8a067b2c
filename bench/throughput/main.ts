/**
 * `npm run bench` (issue 13): the gateway against the direct floor, interleaved by round. Each round
 * runs every case of `cases.ts` once; the table gives the median of each figure over the rounds, and
 * each ratio is taken against the same round's figures. The simulators, the gateway and autocannon are
 * three processes (`stack.ts`).
 *   BENCH_DURATION seconds per case per round (default 10), BENCH_ROUNDS (3), BENCH_CONNECTIONS (50),
 *   BENCH_LATENCY_RATE requests a second in the 20 ms cases (10), BENCH_WARMUP seconds before round 1 (3).
 */
import { benchCases, SLOW_MS } from './cases.js';
import { runCase } from './load.js';
import { markdownTable, summarise, type Measure } from './report.js';
import { benchIds, loadAverage, machineLine, positiveInt } from './setup.js';
import { startStack } from './stack.js';

const duration = positiveInt('BENCH_DURATION', 10);
const rounds = positiveInt('BENCH_ROUNDS', 3);
const connections = positiveInt('BENCH_CONNECTIONS', 50);
const latencyRate = positiveInt('BENCH_LATENCY_RATE', 10);
const warmup = positiveInt('BENCH_WARMUP', 3, 0);

console.log(machineLine('bench'));
console.log(
  `${rounds} rounds, ${duration}s per case per round, ${connections} connections ` +
    `(the ${SLOW_MS} ms cases: 1 connection, ${latencyRate} req/s)`,
);
const stack = await startStack();
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
try {
  const { sims, gateway } = stack;
  const ids = await benchIds(sims);
  const cases = benchCases(
    ids,
    { token: sims.env.REACH_TOKEN!, tenantId: sims.env.REACH_TENANT_ID! },
    connections,
    latencyRate,
  );
  const origin = (target: 'direct' | 'gateway') =>
    target === 'direct' ? sims.urls.reach : new URL(gateway.url).origin;
  if (warmup > 0) for (const c of cases.slice(0, 3)) await runCase(c, origin(c.target), warmup);

  const results: Record<string, Measure>[] = [];
  for (let round = 1; round <= rounds; round++) {
    const measures: Record<string, Measure> = {};
    let slow = false;
    for (const c of cases) {
      if (c.slow !== slow) {
        await sims.setFaultEverywhere(c.slow ? { kind: 'slow', delayMs: SLOW_MS } : null);
        slow = c.slow;
      }
      await pause(1000); // what the previous case abandoned drains first
      const m = await runCase(c, origin(c.target), duration);
      measures[c.name] = m;
      console.log(
        `round ${round} | ${c.name}: ${Math.round(m.rps)} req/s, p50 ${m.p50} ms, p99 ${m.p99} ms, failed ${m.failed}` +
          (m.problems.length ? `\n  ${m.problems.join('\n  ')}` : ''),
      );
    }
    if (slow) await sims.setFaultEverywhere(null);
    results.push(measures);
  }
  console.log(`\nMedians of ${rounds} rounds (ratios within each round, then their median):\n`);
  console.log(markdownTable(summarise(cases, results)));
} finally {
  await stack.close();
}
console.log(`\n${loadAverage()} at the end`);
process.exit(0);
