/**
 * `npm run sims` (`node dist/dev/sims.js` in the image): the registered provider simulators alone, on a
 * real clock and fixed ports, for a gateway started separately (`npm start`, compose.yaml).
 * Prints the environment that points a gateway at them.
 *
 * - `SIM_HOST`: address to listen on (default 127.0.0.1; 0.0.0.0 in a container);
 * - `SIM_<KEY>_PORT` (`SIM_REACH_PORT`, `SIM_GAMEBALL_PORT`, `SIM_FACTCHECK_PORT`): 4101, 4102, 4103 by default,
 *   and on in the registry's order (0 picks free ones);
 * - `SIM_PUBLIC_HOST`: the host name gateways reach them by, in the printed URLs (default: 127.0.0.1 or `SIM_HOST`);
 * - `SIM_SEED`, `SIM_BATCHES`: the data set (default 1 and 300, as `npm run demo`), plus the docs' live Check
 *   batch (`DEMO_SIMULATORS.factCheckShowcase`), so the docs' examples run against them too, and the demo's
 *   rolling batches (`DEMO_SIMULATORS.rolling`), so some are queued and running however long they run;
 * - `SIM_FACTCHECK_PLAN`: Check's plan, `free`, `pro`, `enterprise` or `unlimited` (default: unlimited), and
 *   `SIM_GAMEBALL_RATE_LIMITS`: `documented` or `none` (default: none). The printed environment budgets the
 *   gateway to match (`FACTCHECK_PLAN`; no `*_RATE_LIMIT=none` for a limited simulator).
 */
import { DEMO_SIMULATORS } from './demo-examples.js';
import { simulatorEnv } from './gateway-env.js';
import { PROVIDER_DEFINITIONS } from '../providers/index.js';
import {
  createSystemClock,
  SIMULATOR_DEFINITIONS,
  SIMULATOR_PORTS,
  startSimulators,
  FACT_CHECK_SIM_PLANS,
  type FactCheckPlan,
} from './simulators/index.js';

function intFrom(name: string, fallback: number, max: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > max) {
    console.error(`batchql sims: ${name} must be an integer from 0 to ${max}, got "${raw}"`);
    process.exit(1);
  }
  return Number(raw);
}

function oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  if (!(values as readonly string[]).includes(raw)) {
    console.error(`batchql sims: ${name} must be one of ${values.join(', ')}, got "${raw}"`);
    process.exit(1);
  }
  return raw as T;
}

const factCheckPlan = oneOf('SIM_FACTCHECK_PLAN', Object.keys(FACT_CHECK_SIM_PLANS) as FactCheckPlan[], 'unlimited');
const gameballRateLimits = oneOf('SIM_GAMEBALL_RATE_LIMITS', ['documented', 'none'] as const, 'none');
const host = process.env.SIM_HOST?.trim() || '127.0.0.1';
const publicHost = process.env.SIM_PUBLIC_HOST?.trim() || (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
let sims;
try {
  sims = await startSimulators({
    clock: createSystemClock(),
    seed: intFrom('SIM_SEED', 1, 1_000_000),
    batchCount: intFrom('SIM_BATCHES', 300, 100_000),
    factCheckShowcase: DEMO_SIMULATORS.factCheckShowcase,
    rolling: DEMO_SIMULATORS.rolling,
    factCheckPlan,
    gameballRateLimits,
    host,
    ports: Object.fromEntries(SIMULATOR_PORTS.map((p) => [p.key, intFrom(p.variable, p.port, 65535)])),
  });
} catch (error) {
  const inUse = (error as { code?: string }).code === 'EADDRINUSE';
  const why = inUse ? `a port is in use (set ${SIMULATOR_PORTS.map((p) => p.variable).join(', ')})` : String(error);
  console.error(`batchql sims: cannot start: ${why}`);
  process.exit(1);
}
const running = sims;
const urlOf = (url: string) => `http://${publicHost}:${new URL(url).port}`;
// Gateways reach them by the public host name, not the address they listen on.
const env = simulatorEnv(running, {
  urls: Object.fromEntries(SIMULATOR_DEFINITIONS.map((d) => [d.key, urlOf(running[d.key].url)])),
});
// A simulator with a quota gets a gateway budgeted to match it.
if (factCheckPlan !== 'unlimited') {
  delete env.FACTCHECK_RATE_LIMIT;
  env.FACTCHECK_PLAN = factCheckPlan;
}
if (gameballRateLimits === 'documented') delete env.GAMEBALL_RATE_LIMIT;
const named = SIMULATOR_DEFINITIONS.map((d) => {
  const name = PROVIDER_DEFINITIONS.find((p) => p.name === d.provider)?.displayName ?? d.provider;
  return `${name} ${urlOf(running[d.key].url)}`;
});
console.log(`batchql sims: ${named.join(', ')} (real clock; faults under /__sim/; Ctrl+C stops)`);
console.log('# The environment for `npm start` (AUTH_MODE=none: no client authentication, local use only):');
for (const [name, value] of Object.entries(env)) console.log(`${name}=${value}`);
// The last line: whoever reads this output (test/ops/image.test.ts) has the whole environment once it sees it.
console.log('# Ready (Ctrl+C stops the simulators).');

// Says what stopped once it has, so a Ctrl+C is never met with silence.
const stop = () =>
  void running.close().finally(() => {
    console.log('\nbatchql sims: stopped the simulators');
    process.exit(0);
  });
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
