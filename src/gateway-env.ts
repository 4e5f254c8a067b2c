import type { SimulatorCredentials } from './simulators/index.js';

/** The environment that points a gateway at running simulators (used by the demo, tests and benches). */
export function simulatorEnv(
  urls: { reach: string; gameball: string; factCheck: string },
  credentials: SimulatorCredentials,
): Record<string, string> {
  return {
    // The demo, tests and benches run without client authentication (logged loudly).
    AUTH_MODE: 'none',
    REACH_BASE_URL: urls.reach,
    REACH_TOKEN: credentials.reach.token,
    REACH_TENANT_ID: credentials.reach.tenantId,
    GAMEBALL_BASE_URL: urls.gameball,
    GAMEBALL_API_KEY: credentials.gameball.apiKey,
    GAMEBALL_SECRET_KEY: credentials.gameball.secretKey,
    FACTCHECK_BASE_URL: urls.factCheck,
    FACTCHECK_API_KEY: credentials.factCheck.apiKey,
  };
}
