import type { Simulators } from './simulators/index.js';
import { SIMULATOR_DEFINITIONS, type SimulatorKey } from './simulators/registry.js';

/** What a caller of `simulatorEnv` may change about the running simulators. */
export interface SimulatorEnvOverrides {
  /** The URL a gateway reaches a simulator by, instead of its own (a proxy, another host name). */
  urls?: Partial<Record<SimulatorKey, string>>;
}

/**
 * The environment that points a gateway at running simulators (used by the demo, tests and benches):
 * every simulator definition's `gatewayEnv` (which runs the gateway without a budget) and no client
 * authentication. Spread it first: later variables win.
 */
export function simulatorEnv(sims: Simulators, overrides: SimulatorEnvOverrides = {}): Record<string, string> {
  const env: Record<string, string> = {
    // The demo, tests and benches run without client authentication (logged loudly).
    AUTH_MODE: 'none',
  };
  for (const d of SIMULATOR_DEFINITIONS) {
    const url = overrides.urls?.[d.key] ?? sims[d.key].url;
    Object.assign(
      env,
      (d.gatewayEnv as (url: string, c: unknown) => Record<string, string>)(url, sims.credentials[d.key]),
    );
  }
  return env;
}
