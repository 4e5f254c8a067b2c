import type { SimulatorDefinition } from '../../../dev/simulators/definition.js';
import { createReachSimulator, type ReachSimCredentials } from './index.js';

/** Reach's simulator, listed in `SIMULATOR_DEFINITIONS` (src/dev/simulators/registry.ts). */
export const reachSimulator: SimulatorDefinition<'reach', ReachSimCredentials> = {
  provider: 'REACH',
  key: 'reach',
  // Reach documents no rate limit: it takes the data-set options only.
  start: (o) => createReachSimulator(o),
  gatewayEnv: (url, c) => ({ REACH_BASE_URL: url, REACH_TOKEN: c.token, REACH_TENANT_ID: c.tenantId }),
};
