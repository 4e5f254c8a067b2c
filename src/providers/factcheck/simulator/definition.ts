import type { SimulatorDefinition } from '../../../dev/simulators/definition.js';
import { createFactCheckSimulator, type FactCheckSimCredentials } from './index.js';
import type { FactCheckSubmit } from '../model.js';

/** One valid write, for the adapter contract suite. */
const SUBMIT: FactCheckSubmit = { kind: 'FACT_CHECK_SUBMIT', items: [{ content: 'A claim.' }] };

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
      expiry: o.factCheckExpiry,
    }),
  gatewayEnv: (url, c) => ({
    FACTCHECK_BASE_URL: url,
    // No gateway budget unless the caller sets one (the simulator's plan is `unlimited` by default).
    FACTCHECK_RATE_LIMIT: 'none',
    FACTCHECK_API_KEY: c.apiKey,
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
    missingId: 'batch_000000000000',
    write: SUBMIT,
  },
};
