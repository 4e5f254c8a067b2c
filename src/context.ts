import type { YogaInitialContext } from 'graphql-yoga';
import { createLoaders, type Loaders } from './graphql/loaders.js';
import type { Providers } from './providers/index.js';
import type { UpstreamLimits } from './config.js';

/** What every resolver receives: the providers and this request's loaders. */
export interface GraphQLContext extends YogaInitialContext {
  providers: Providers;
  loaders: Loaders;
}

/** Dependencies the context is built from, once per gateway. */
export interface ContextDeps {
  providers: Providers;
  limits: Pick<UpstreamLimits, 'perRequestConcurrency'>;
}

/** Builds the per-request part of the context: fresh DataLoaders, so nothing is cached across requests. */
export function createContext(deps: ContextDeps): Pick<GraphQLContext, 'providers' | 'loaders'> {
  return { providers: deps.providers, loaders: createLoaders(deps.providers, deps.limits.perRequestConcurrency) };
}
