import { ConfigError, loadConfig, type GatewayConfig } from '../../src/config.js';
import type { Env } from '../../src/config/settings.js';
import { POLL_JITTER, type PollPolicy } from '../../src/live/poll-policy.js';
import type { SharedClientOptions } from '../../src/providers/definition.js';
import type { IdempotencyStoreOptions } from '../../src/writes/idempotency-store.js';
import { replayWaitMs } from '../../src/writes/settings.js';
import { freshDataDir } from './data-dir.js';

/**
 * The configuration of `env` as the gateway reads it (`loadConfig`), with `AUTH_MODE=none` unless `env` says
 * otherwise: what tests build factories from, since a factory has no defaults of its own (the settings
 * fragments are the only place a default is written).
 */
export function testConfig(env: Env = {}): GatewayConfig {
  return loadConfig({ AUTH_MODE: 'none', DATA_DIR: freshDataDir(), ...env });
}

/** What every provider's HTTP client shares, as the runtime passes it from `env`'s configuration (no hooks). */
export function clientOptions(env: Env = {}): SharedClientOptions {
  const config = testConfig(env);
  return { ...config.upstream, userAgent: 'batchql-test', pauseCapMs: config.live.errorMaxMs };
}

/** The poll policy of `env`'s configuration, as the runtime hands it to the hub. */
export function pollPolicy(env: Env = {}): PollPolicy {
  const { runningMs, idleMs, idleMaxMs, pendingMs, errorMs, errorMaxMs, backgroundMs } = testConfig(env).live;
  return { runningMs, idleMs, idleMaxMs, backgroundMs, pendingMs, errorMs, errorMaxMs, jitter: POLL_JITTER };
}

/** The idempotency store's limits from `env`'s configuration, as the runtime passes them (no Redis). */
export function storeOptions(env: Env = {}): Omit<IdempotencyStoreOptions, 'redis' | 'markerSecret'> {
  const config = testConfig(env);
  return {
    waitMs: replayWaitMs(config.upstream),
    perClient: config.writes.keysPerClient,
    leaseMs: config.writes.leaseMs,
  };
}

/** The ConfigError `loadConfig` throws for `env` (fails the test when it accepts it). */
export function refusal(env: Env): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('loadConfig accepted the environment');
}
