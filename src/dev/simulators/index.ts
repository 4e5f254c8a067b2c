import type { SimClock } from './clock.js';
import type { FactCheckExpiry, FactCheckPlan } from '../../providers/factcheck/simulator/index.js';
import type { WebhookTarget } from '../../providers/factcheck/simulator/webhooks.js';
import type { GameballRateLimits } from '../../providers/gameball/simulator/index.js';
import type { DataProfile, ShowcaseOptions } from './model.js';
import type { RollingOptions } from './rolling.js';
import { SIMULATOR_DEFINITIONS, type SimulatorCredentials, type SimulatorKey } from './registry.js';
import type { Simulator } from './server.js';

export { createManualClock, createRealTimeClock, createSystemClock, type ManualClock } from './clock.js';
export type { FaultRule } from './faults.js';
export { AFTER_WRITE_ANSWERS } from './faults.js';
export type { Simulator } from './server.js';
export {
  createFactCheckSimulator,
  FACT_CHECK_SIM_PLANS,
  FACT_CHECK_SHOWCASE_ID,
  type FactCheckPlan,
} from '../../providers/factcheck/simulator/index.js';
export type { WebhookDelivery } from '../../providers/factcheck/simulator/webhooks.js';
export type { SimulatorContract } from './definition.js';
export { SIMULATOR_DEFINITIONS } from './registry.js';

/**
 * Where `npm run sims` (src/dev/sims.ts) listens: each simulator's port variable (`SIM_FACTCHECK_PORT` of `factCheck`)
 * and default port, 4101 on in the registry's order (Reach 4101, Gameball 4102, Check 4103, as compose.yaml says).
 */
export const SIMULATOR_PORTS = SIMULATOR_DEFINITIONS.map((d, i) => ({
  key: d.key,
  variable: `SIM_${d.key.toUpperCase()}_PORT`,
  port: 4101 + i,
}));

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
  /**
   * Every simulator's data set (`DataProfile`): `mixed` covers every state; `longRunning` has 18 of
   * every 20 batches running for 5 to 15 minutes from the start. @default 'mixed'
   */
  profile?: DataProfile;
  /** How long batches run (ms, drawn uniformly), for every simulator. @default by profile */
  durationMs?: { min: number; max: number };
  /**
   * Check's plan, which sets its requests a minute and its writes' limits (`FACT_CHECK_SIM_PLANS`: the
   * provider's documented plans, and `unlimited`). @default 'unlimited'
   */
  factCheckPlan?: FactCheckPlan;
  /** Check's per-minute rate limit (enforced with 429s); overrides `factCheckPlan`. */
  factCheckRateLimitPerMinute?: number;
  /** The length of Check's rate-limit window (ms), so a test sees several windows in seconds. @default 60000 */
  factCheckRateLimitWindowMs?: number;
  /** Where Check posts signed `batch.completed`/`batch.failed` events (also `POST /__sim/webhooks`). @default none */
  factCheckWebhook?: WebhookTarget;
  /**
   * Check's batches expire as batchql assumes: gone (404 `not_found`, out of lists) `ttlMs` after they finish
   * (also `POST /__sim/expiry`). @default off
   */
  factCheckExpiry?: FactCheckExpiry;
  /**
   * Gameball's per-resource windows: `documented` is 30 a second and 360 per 30 s (the "Others"
   * resource of the batch endpoints); `none` enforces nothing. @default 'none'
   */
  gameballRateLimits?: GameballRateLimits | 'documented' | 'none';
  /**
   * One more Check batch after the seeded ones (which stay as they are), `FACT_CHECK_SHOWCASE_ID`:
   * queued until `startInMs`, then running for `durationMs`. The docs' live examples follow it. @default none
   */
  factCheckShowcase?: ShowcaseOptions;
  /**
   * Rolling batches on every simulator, beside the seeded ones (which stay as they are): one a period each,
   * for ever, with ids and timing drawn from the slot of the clock (`createRolling`), so batches are queued,
   * running and finished at any time. The demo and `npm run sims` turn them on (`DEMO_SIMULATORS.rolling`);
   * tests get the seeded data alone. @default none
   */
  rolling?: RollingOptions;
}

/** Starts every registered simulator on loopback with one clock and seed. */
export async function startSimulators(o: StartSimulatorsOptions): Promise<Simulators> {
  const common = {
    clock: o.clock,
    seed: o.seed ?? 1,
    batchCount: o.batchCount ?? 300,
    secretMarker: o.secretMarker,
    profile: o.profile,
    durationMs: o.durationMs,
    factCheckPlan: o.factCheckPlan,
    factCheckRateLimitPerMinute: o.factCheckRateLimitPerMinute,
    factCheckRateLimitWindowMs: o.factCheckRateLimitWindowMs,
    factCheckWebhook: o.factCheckWebhook,
    factCheckExpiry: o.factCheckExpiry,
    host: o.host,
    gameballRateLimits: o.gameballRateLimits,
    factCheckShowcase: o.factCheckShowcase,
    rolling: o.rolling,
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
