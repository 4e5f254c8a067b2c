import type { SimulatorDefinition } from '../../../dev/simulators/definition.js';
import { createFactCheckSimulator, type FactCheckSimCredentials } from './index.js';

/** Check's simulator, listed in `SIMULATOR_DEFINITIONS` (src/dev/simulators/registry.ts). */
export const factCheckSimulator: SimulatorDefinition<'factCheck', FactCheckSimCredentials> = {
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
  gatewayEnv: (url, c) => ({
    FACTCHECK_BASE_URL: url,
    // No gateway budget unless the caller sets one (the simulator's plan is `unlimited` by default).
    FACTCHECK_RATE_LIMIT: 'none',
    // Last, as before: `npm run sims` prints this environment in order and test/ops/image.test.ts waits for it.
    FACTCHECK_API_KEY: c.apiKey,
  }),
};
