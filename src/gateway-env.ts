import { SIMULATOR_DEFINITIONS, type SimulatorCredentials, type SimulatorKey } from './simulators/registry.js';

/** The environment that points a gateway at running simulators (used by the demo, tests and benches). */
export function simulatorEnv(
  urls: Record<SimulatorKey, string>,
  credentials: SimulatorCredentials,
): Record<string, string> {
  const env: Record<string, string> = {
    // The demo, tests and benches run without client authentication (logged loudly).
    AUTH_MODE: 'none',
  };
  for (const d of SIMULATOR_DEFINITIONS)
    Object.assign(
      env,
      (d.gatewayEnv as (url: string, c: unknown) => Record<string, string>)(urls[d.key], credentials[d.key]),
    );
  return env;
}
