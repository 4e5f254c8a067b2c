import { SIMULATOR_DEFINITIONS, type SimulatorCredentials, type SimulatorKey } from './simulators/registry.js';

/** The environment that points a gateway at running simulators (used by the demo, tests and benches). */
export function simulatorEnv(
  urls: Record<SimulatorKey, string>,
  credentials: SimulatorCredentials,
): Record<string, string> {
  const env: Record<string, string> = {
    // The demo, tests and benches run without client authentication (logged loudly).
    AUTH_MODE: 'none',
    // Tests and benches that are not about quotas run the simulators unlimited and the gateway
    // without a budget, so their 40 ms poll intervals never wait; quota tests and the demo set both.
    FACTCHECK_RATE_LIMIT: 'none',
    GAMEBALL_RATE_LIMIT: 'none',
  };
  for (const d of SIMULATOR_DEFINITIONS)
    Object.assign(
      env,
      (d.gatewayEnv as (url: string, c: unknown) => Record<string, string>)(urls[d.key], credentials[d.key]),
    );
  return env;
}
