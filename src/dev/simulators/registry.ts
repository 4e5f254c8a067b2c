import type { ProviderName } from '../../domain/batch.js';
import type { SimClock } from './clock.js';
import { createFactCheckSimulator, type FactCheckPlan, type FactCheckSimCredentials } from './factcheck.js';
import { createGameballSimulator, type GameballRateLimits, type GameballSimCredentials } from './gameball.js';
import type { WebhookTarget } from './factcheck-webhooks.js';
import type { DataProfile, ShowcaseOptions } from './model.js';
import { createReachSimulator, type ReachSimCredentials } from './reach.js';
import type { Simulator } from './server.js';

/** What every simulator is started with; each definition picks what it needs. */
export interface CommonSimulatorOptions {
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
  /** Gameball's per-second and per-30-second windows; others ignore it. */
  gameballRateLimits?: GameballRateLimits | 'documented' | 'none' | undefined;
  /** Check's showcase batch (`FACT_CHECK_SHOWCASE_ID`), for the demo; others ignore it. */
  factCheckShowcase?: ShowcaseOptions | undefined;
}

/**
 * One provider's simulator: how to start it and the gateway environment that points at it.
 * Registered in `SIMULATOR_DEFINITIONS`, beside (never inside) the production provider list.
 */
export interface SimulatorDefinition<Key extends string = string, Credentials = unknown> {
  provider: ProviderName;
  /** Its key in `Simulators` and in the URL map of `simulatorEnv`. */
  key: Key;
  start(options: CommonSimulatorOptions): Promise<Simulator & { credentials: Credentials }>;
  /** The provider's variables for a gateway using this simulator. */
  gatewayEnv(url: string, credentials: Credentials): Record<string, string>;
}

const reach: SimulatorDefinition<'reach', ReachSimCredentials> = {
  provider: 'REACH',
  key: 'reach',
  // Reach documents no rate limit: it takes the data-set options only.
  start: (o) => createReachSimulator(o),
  gatewayEnv: (url, c) => ({ REACH_BASE_URL: url, REACH_TOKEN: c.token, REACH_TENANT_ID: c.tenantId }),
};

const gameball: SimulatorDefinition<'gameball', GameballSimCredentials> = {
  provider: 'GAMEBALL',
  key: 'gameball',
  start: (o) => createGameballSimulator({ ...o, rateLimits: o.gameballRateLimits }),
  gatewayEnv: (url, c) => ({ GAMEBALL_BASE_URL: url, GAMEBALL_API_KEY: c.apiKey, GAMEBALL_SECRET_KEY: c.secretKey }),
};

const factCheck: SimulatorDefinition<'factCheck', FactCheckSimCredentials> = {
  provider: 'FACT_CHECK',
  key: 'factCheck',
  start: (o) =>
    createFactCheckSimulator({
      ...o,
      plan: o.factCheckPlan,
      rateLimitPerMinute: o.factCheckRateLimitPerMinute,
      ...(o.factCheckShowcase ? { showcase: o.factCheckShowcase } : {}),
      rateLimitWindowMs: o.factCheckRateLimitWindowMs,
      webhook: o.factCheckWebhook,
    }),
  gatewayEnv: (url, c) => ({ FACTCHECK_BASE_URL: url, FACTCHECK_API_KEY: c.apiKey }),
};

/** Every built-in simulator, one per production provider. */
export const SIMULATOR_DEFINITIONS = [reach, gameball, factCheck] as const;

/** The simulators' keys (`reach`, `gameball`, `factCheck`). */
export type SimulatorKey = (typeof SIMULATOR_DEFINITIONS)[number]['key'];

/** Each simulator's credentials, by key. */
export type SimulatorCredentials = {
  [D in (typeof SIMULATOR_DEFINITIONS)[number] as D['key']]: Parameters<D['gatewayEnv']>[1];
};
