import { afterAll, beforeAll } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { simulatorEnv } from '../../src/dev/gateway-env.js';
import { createManualClock, SIMULATOR_DEFINITIONS, startSimulators } from '../../src/dev/simulators/index.js';
import { createProviders, PROVIDER_DEFINITIONS } from '../../src/providers/index.js';
import { describeProviderContract, LIMITS } from './provider-contract.js';

/**
 * The adapter contract on every simulator the registry lists (src/dev/simulators/registry.ts), with no provider
 * named here: each adapter is built by its definition from the environment its simulator gives the gateway, and
 * the provider's own expectations (status words, a missing id, a write) come from its simulator's `contract`.
 */
type Sims = Awaited<ReturnType<typeof startSimulators>>;

let sims: Sims;
beforeAll(async () => {
  sims = await startSimulators({
    clock: createManualClock(Date.parse('2026-11-01T12:00:00Z')),
    seed: 11,
    batchCount: 200,
  });
});
afterAll(async () => sims.close());

/** Every provider's adapter as the gateway would build it, one attempt per call (`LIMITS`); `wrong` credentials. */
function adapterOf(name: string, wrongCredentials = false) {
  const env: Record<string, string> = simulatorEnv(sims);
  const definition = PROVIDER_DEFINITIONS.find((d) => d.name === name)!;
  // Each of its secret variables the simulator set, altered: the provider must refuse them.
  if (wrongCredentials)
    for (const variable of definition.secrets) if (env[variable]) env[variable] = `${env[variable]}-wrong`;
  const config = loadConfig(env);
  const adapters = createProviders([definition], config.providers, {
    ...config.upstream,
    ...LIMITS,
    policy: { ...config.upstream.policy, ...LIMITS.policy },
    userAgent: 'batchql-contract',
    pauseCapMs: config.live.errorMaxMs,
  });
  return adapters[definition.name]!;
}

for (const simulator of SIMULATOR_DEFINITIONS) {
  if (!PROVIDER_DEFINITIONS.some((d) => d.name === simulator.provider))
    throw new Error(
      `src/dev/simulators/registry.ts lists the simulator of ${simulator.provider}, ` +
        'which is not in the provider list (src/providers/index.ts)',
    );
  describeProviderContract({
    name: simulator.provider,
    sim: () => sims[simulator.key],
    adapter: (wrong) => adapterOf(simulator.provider, wrong),
    states: simulator.contract.states,
    missingId: simulator.contract.missingId,
    write: simulator.contract.write,
  });
}
