import type { SimClock } from './clock.js';
import { SIMULATOR_DEFINITIONS, type SimulatorCredentials, type SimulatorKey } from './registry.js';
import type { Simulator } from './server.js';

export { createManualClock, createSystemClock, type ManualClock, type SimClock } from './clock.js';
export type { Fault, FaultRule } from './faults.js';
export type { RecordedRequest, Simulator, SimulatorControl } from './server.js';
export { createFactCheckSimulator } from './factcheck.js';
export { createGameballSimulator } from './gameball.js';
export { createReachSimulator, REACH_TENANTS, signReachToken } from './reach.js';
export { SIMULATOR_DEFINITIONS, type SimulatorCredentials, type SimulatorDefinition } from './registry.js';

/** The simulators, started together: one per registered simulator, by key. */
export type Simulators = Record<SimulatorKey, Simulator> & {
  credentials: SimulatorCredentials;
  all(): Simulator[];
  close(): Promise<void>;
};

/** Options shared by the simulators. */
export interface StartSimulatorsOptions {
  clock: SimClock;
  /** @default 1 */
  seed?: number;
  /** Batches per provider. @default 300 */
  batchCount?: number;
  /** Ports to listen on; 0 or omitted picks a free one. */
  ports?: Partial<Record<SimulatorKey, number>>;
  /** Address to listen on. @default 127.0.0.1 (loopback) */
  host?: string;
  secretMarker?: string;
  /** Check's per-minute rate limit (enforced with 429s). @default 1_000_000 */
  factCheckRateLimitPerMinute?: number;
}

/** Starts every registered simulator on loopback with one clock and seed. */
export async function startSimulators(o: StartSimulatorsOptions): Promise<Simulators> {
  const common = {
    clock: o.clock,
    seed: o.seed ?? 1,
    batchCount: o.batchCount ?? 300,
    secretMarker: o.secretMarker,
    factCheckRateLimitPerMinute: o.factCheckRateLimitPerMinute,
    host: o.host,
  };
  const started = await Promise.all(
    SIMULATOR_DEFINITIONS.map(async (d) => [d.key, await d.start({ ...common, port: o.ports?.[d.key] })] as const),
  );
  const byKey = Object.fromEntries(started) as Record<SimulatorKey, Simulator & { credentials: never }>;
  const list = started.map(([, sim]) => sim);
  return {
    ...byKey,
    credentials: Object.fromEntries(started.map(([key, sim]) => [key, sim.credentials])) as SimulatorCredentials,
    all: () => list,
    close: async () => {
      await Promise.all(list.map((sim) => sim.close()));
    },
  };
}
