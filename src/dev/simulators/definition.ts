import type { BatchStatus, ProviderName } from '../../domain/batch.js';
import type { WriteRequest } from '../../domain/writes.js';
import type { FactCheckExpiry, FactCheckPlan } from '../../providers/factcheck/simulator/index.js';
import type { WebhookTarget } from '../../providers/factcheck/simulator/webhooks.js';
import type { GameballRateLimits } from '../../providers/gameball/simulator/index.js';
import type { SimClock } from './clock.js';
import type { DataProfile, ShowcaseOptions } from './model.js';
import type { RollingOptions } from './rolling.js';
import type { Simulator } from './server.js';

/** What every simulator is started with; each definition picks what it needs. */
interface CommonSimulatorOptions {
  clock: SimClock;
  seed: number;
  batchCount: number;
  secretMarker?: string | undefined;
  port?: number | undefined;
  /** Address to listen on. @default 127.0.0.1 */
  host?: string | undefined;
  /** The data set's shape, for every simulator's `generateBatches` (`DataProfile`). */
  profile?: DataProfile | undefined;
  /** How long batches run, for every simulator's `generateBatches`. */
  durationMs?: { min: number; max: number } | undefined;
  /** Check's plan (its per-minute limit); other simulators ignore it. */
  factCheckPlan?: FactCheckPlan | undefined;
  /** Check's per-minute rate limit (enforced with 429s), overriding `factCheckPlan`; others ignore it. */
  factCheckRateLimitPerMinute?: number | undefined;
  /** The length of Check's rate-limit window (ms), a minute unless a test shortens it. */
  factCheckRateLimitWindowMs?: number | undefined;
  /** Where Check sends its signed batch webhooks (`createFactCheckWebhooks`); others ignore it. */
  factCheckWebhook?: WebhookTarget | undefined;
  /** Check's expiry mode (`FactCheckSimulatorOptions.expiry`); others ignore it. */
  factCheckExpiry?: FactCheckExpiry | undefined;
  /** Gameball's per-second and per-30-second windows; others ignore it. */
  gameballRateLimits?: GameballRateLimits | 'documented' | 'none' | undefined;
  /** Check's showcase batch (`FACT_CHECK_SHOWCASE_ID`), for the demo; others ignore it. */
  factCheckShowcase?: ShowcaseOptions | undefined;
  /** Every simulator's rolling batches (`createRolling`), for the demo; none unless given. */
  rolling?: RollingOptions | undefined;
}

/**
 * One provider's simulator: how to start it and the gateway environment that points at it.
 * Each lives in its provider's folder (`src/providers/<name>/simulator/definition.ts`) and is listed
 * in `SIMULATOR_DEFINITIONS` (registry.ts), beside (never inside) the production provider list.
 */
export interface SimulatorDefinition<Key extends string = string, Credentials = unknown> {
  provider: ProviderName;
  /** Its key in `Simulators` and in the URL map of `simulatorEnv`. */
  key: Key;
  start(options: CommonSimulatorOptions): Promise<Simulator & { credentials: Credentials }>;
  /**
   * The provider's variables for a gateway using this simulator. Tests and benches that are not about
   * quotas run the simulators unlimited and the gateway without a budget (`*_RATE_LIMIT=none`), so their
   * 40 ms poll intervals never wait; quota tests and the demo override that (a later spread wins).
   */
  gatewayEnv(url: string, credentials: Credentials): Record<string, string>;
  /** What the adapter contract suite (test/contract/provider-contract.ts) expects of the provider on it. */
  contract: SimulatorContract;
}

/**
 * The provider's side of the adapter contract suite, which runs against every simulator listed in the
 * registry (test/contract/batch-provider.contract.test.ts): what it cannot learn from the definitions.
 */
export interface SimulatorContract {
  /**
   * The simulator's state labels (`SimulatorControl.idsByState`) this simulator has batches in, each with the
   * unified statuses the adapter must read them as (a provider without a word for a state reads it as another).
   */
  states: Partial<
    Record<'queued' | 'running' | 'done' | 'partial' | 'failed' | 'cancelled' | 'pending', BatchStatus[]>
  >;
  /** An id of the provider's form that the simulator never has (it answers not found). */
  missingId: string;
  /** Writing providers: one valid write, which the suite checks is attempted exactly once. */
  write?: WriteRequest;
}
