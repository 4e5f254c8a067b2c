import type { SimClock } from './clock.js';
import { createFactCheckSimulator, type FactCheckSimCredentials } from './factcheck.js';
import { createGameballSimulator, type GameballSimCredentials } from './gameball.js';
import { createReachSimulator, type ReachSimCredentials } from './reach.js';
import type { Simulator } from './server.js';

export { createManualClock, createSystemClock, type ManualClock, type SimClock } from './clock.js';
export type { Fault, FaultRule } from './faults.js';
export type { RecordedRequest, Simulator, SimulatorControl } from './server.js';
export { createFactCheckSimulator } from './factcheck.js';
export { createGameballSimulator } from './gameball.js';
export { createReachSimulator, REACH_TENANTS, signReachToken } from './reach.js';

/** The credentials the three simulators accept. */
export interface SimulatorCredentials {
  reach: ReachSimCredentials;
  gameball: GameballSimCredentials;
  factCheck: FactCheckSimCredentials;
}

/** The three simulators, started together. */
export interface Simulators {
  reach: Simulator;
  gameball: Simulator;
  factCheck: Simulator;
  credentials: SimulatorCredentials;
  all(): Simulator[];
  close(): Promise<void>;
}

/** Options shared by the three simulators. */
export interface StartSimulatorsOptions {
  clock: SimClock;
  /** @default 1 */
  seed?: number;
  /** Batches per provider. @default 300 */
  batchCount?: number;
  /** Ports to listen on; 0 or omitted picks a free one. */
  ports?: { reach?: number; gameball?: number; factCheck?: number };
  /** Address to listen on. @default 127.0.0.1 (loopback) */
  host?: string;
  secretMarker?: string;
  /** Check's per-minute rate limit (enforced with 429s). @default 1_000_000 */
  factCheckRateLimitPerMinute?: number;
}

/** Starts the Reach, Gameball and Check simulators on loopback with one clock and seed. */
export async function startSimulators(o: StartSimulatorsOptions): Promise<Simulators> {
  const common = {
    clock: o.clock,
    seed: o.seed ?? 1,
    batchCount: o.batchCount ?? 300,
    secretMarker: o.secretMarker,
    host: o.host,
  };
  const [reach, gameball, factCheck] = await Promise.all([
    createReachSimulator({ ...common, port: o.ports?.reach }),
    createGameballSimulator({ ...common, port: o.ports?.gameball }),
    createFactCheckSimulator({
      ...common,
      port: o.ports?.factCheck,
      ...(o.factCheckRateLimitPerMinute ? { rateLimitPerMinute: o.factCheckRateLimitPerMinute } : {}),
    }),
  ]);
  return {
    reach,
    gameball,
    factCheck,
    credentials: { reach: reach.credentials, gameball: gameball.credentials, factCheck: factCheck.credentials },
    all: () => [reach, gameball, factCheck],
    close: async () => {
      await Promise.all([reach.close(), gameball.close(), factCheck.close()]);
    },
  };
}
