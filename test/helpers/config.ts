import { ConfigError, loadConfig } from '../../src/config.js';
import type { Env } from '../../src/config/settings.js';

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
