import type { GatewayConfig } from '../config.js';
import type { ProviderName } from '../domain/batch.js';
import type { BatchProvider } from '../domain/provider.js';
import type { UpstreamObserver } from './upstream-types.js';
import { createFactCheckAdapter } from './factcheck/adapter.js';
import { createFactCheckHttpClient } from './factcheck/client.js';
import { createGameballAdapter } from './gameball/adapter.js';
import { createGameballHttpClient } from './gameball/client.js';
import { createReachAdapter } from './reach/adapter.js';
import { createReachHttpClient } from './reach/client.js';

/** The configured providers; an absent key means "not configured". */
export type Providers = Partial<Record<ProviderName, BatchProvider>>;

/** Builds an adapter (with its own undici pool) for every configured provider. */
export function createProviders(config: GatewayConfig, observe?: UpstreamObserver): Providers {
  const limits = {
    ...config.upstream,
    userAgent: `batchql/0.1 (${config.live.instanceId})`,
    ...(observe ? { observe } : {}),
  };
  const providers: Providers = {};
  if (config.reach) providers.REACH = createReachAdapter(createReachHttpClient({ ...limits, ...config.reach }));
  if (config.gameball)
    providers.GAMEBALL = createGameballAdapter(createGameballHttpClient({ ...limits, ...config.gameball }));
  if (config.factCheck)
    providers.FACT_CHECK = createFactCheckAdapter(createFactCheckHttpClient({ ...limits, ...config.factCheck }));
  return providers;
}

/** Closes every provider's pool. */
export async function closeProviders(providers: Providers): Promise<void> {
  await Promise.all(Object.values(providers).map((p) => p.close()));
}
