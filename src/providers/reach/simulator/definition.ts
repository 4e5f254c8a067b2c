import type { SimulatorDefinition } from '../../../dev/simulators/definition.js';
import { createReachSimulator, type ReachSimCredentials } from './index.js';
import type { ReachResourcesWrite } from '../model.js';

/** One valid write, for the adapter contract suite. */
const SUBMIT: ReachResourcesWrite = { kind: 'REACH_SUBMIT', schema: 'contacts', resources: [{ externalId: 'c-1' }] };

/** Reach's simulator, listed in `SIMULATOR_DEFINITIONS` (src/dev/simulators/registry.ts). */
export const reachSimulator: SimulatorDefinition<'reach', ReachSimCredentials> = {
  provider: 'REACH',
  key: 'reach',
  // Reach documents no rate limit: it takes the data-set options only.
  start: (o) => createReachSimulator(o),
  gatewayEnv: (url, c) => ({ REACH_BASE_URL: url, REACH_TOKEN: c.token, REACH_TENANT_ID: c.tenantId }),
  contract: {
    // Reach has no word for queued (it says processing) and no cancel; pending records finish the batch.
    states: {
      running: ['RUNNING'],
      done: ['SUCCEEDED'],
      partial: ['PARTIALLY_SUCCEEDED'],
      failed: ['FAILED'],
      pending: ['SUCCEEDED', 'PARTIALLY_SUCCEEDED'],
    },
    missingId: 'does-not-exist',
    write: SUBMIT,
  },
};
