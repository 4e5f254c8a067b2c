import type { SimulatorDefinition } from '../../../dev/simulators/definition.js';
import { createGameballSimulator, type GameballSimCredentials } from './index.js';
import type { GameballSubmit } from '../model.js';

/** One valid write, for the adapter contract suite. */
const SUBMIT: GameballSubmit = { kind: 'GAMEBALL_SUBMIT', operation: 'customers', items: [{ customerId: 'c-1' }] };

/** Gameball's simulator, listed in `SIMULATOR_DEFINITIONS` (src/dev/simulators/registry.ts). */
export const gameballSimulator: SimulatorDefinition<'gameball', GameballSimCredentials> = {
  provider: 'GAMEBALL',
  key: 'gameball',
  start: (o) => createGameballSimulator({ ...o, rateLimits: o.gameballRateLimits }),
  gatewayEnv: (url, c) => ({
    GAMEBALL_BASE_URL: url,
    // No gateway budget unless the caller sets one (the simulator enforces none by default).
    GAMEBALL_RATE_LIMIT: 'none',
    GAMEBALL_API_KEY: c.apiKey,
    GAMEBALL_SECRET_KEY: c.secretKey,
  }),
  contract: {
    states: {
      queued: ['QUEUED'],
      running: ['RUNNING'],
      done: ['SUCCEEDED'],
      partial: ['PARTIALLY_SUCCEEDED'],
      failed: ['FAILED'],
      cancelled: ['CANCELLED'],
    },
    missingId: '999999999999',
    write: SUBMIT,
  },
};
