/**
 * What `npm run bench` and `npm run bench:profile` measure against: the simulators as their own
 * process on their highest plans, and the built gateway (`node dist/main.js`, as `npm start`) as
 * another, with production defaults and budgets matching the simulators' plans.
 */
import { BUILT_COMMAND, spawnGateway, type GatewayProcess } from '../../src/dev/gateway-process.js';
import { buildIfStale } from '../build.js';
import { spawnSims, type SimsProcess } from '../sims-process.js';

/** Batches per provider: Reach's configured tenant gets about 80 %, above twice yoga's document cache (1,024). */
export const BENCH_BATCHES = 3000;

/** The gateway's environment on top of what the simulators printed. */
export const PRODUCTION_ENV: Readonly<Record<string, string>> = {
  // Production defaults: info logging with the access log (always on), every protection left at its default.
  LOG_LEVEL: 'info',
  // As the image runs (the Dockerfile's `ENV NODE_ENV=production`): graphql-js then skips its
  // development-only cross-realm checks in `instanceOf`, about 1 % of the CPU under load.
  NODE_ENV: 'production',
  // Budgets matching the simulators: Check on Enterprise (1,000 a minute), no limit on the others.
  FACTCHECK_PLAN: 'enterprise',
  GAMEBALL_RATE_LIMIT: 'none',
  REACH_RATE_LIMIT: 'none',
  // The inbound per-client limit is off (its default).
  RATE_LIMIT_PER_MINUTE: '0',
};

/** The running pair. */
export interface Stack {
  sims: SimsProcess;
  gateway: GatewayProcess;
  /** When the gateway was spawned (epoch ms): a `--cpu-prof` profile starts about then. */
  gatewaySpawnedAt: number;
  close(): Promise<void>;
}

/** Builds `dist/` when stale (as `npm start` does), then starts the simulators and the gateway. */
export async function startStack(options: { nodeArgs?: string[] } = {}): Promise<Stack> {
  buildIfStale();
  const sims = await spawnSims({
    SIM_SEED: '1',
    SIM_BATCHES: String(BENCH_BATCHES),
    SIM_FACTCHECK_PLAN: 'enterprise',
    SIM_GAMEBALL_RATE_LIMITS: 'none',
  });
  let gateway: GatewayProcess;
  const gatewaySpawnedAt = Date.now();
  try {
    gateway = await spawnGateway(
      { ...sims.env, ...PRODUCTION_ENV },
      { command: BUILT_COMMAND, nodeArgs: options.nodeArgs, maxOutputChars: 200_000 },
    );
  } catch (error) {
    await sims.close();
    throw error;
  }
  return {
    sims,
    gateway,
    gatewaySpawnedAt,
    close: async () => {
      // The gateway first, so it finishes what the load generator abandoned before the simulators go.
      await gateway.kill();
      await sims.close();
    },
  };
}
