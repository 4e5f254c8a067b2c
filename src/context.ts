import type { YogaInitialContext } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { ListSettings } from './config.js';
import type { UpstreamLimits } from './providers/limits.js';
import type { ProviderName } from './domain/batch.js';
import { createCursorCodec, type CursorCodec } from './graphql/connections/cursor.js';
import { PageCache } from './graphql/connections/page-cache.js';
import { createLoaders, type Loaders } from './graphql/loaders.js';
import { createNotes, type ResponseNotes } from './graphql/notes.js';
import type { PollHub } from './live/poll-hub.js';
import type { SubscriptionShares } from './live/shares.js';
import type { AnyProviderDefinition, Providers } from './providers/index.js';
import type { Principal } from './auth.js';
import type { ClientIdentity } from './identity.js';
import { RequestBudget } from './graphql/request-budget.js';
import type { Coordinator } from './live/coordinator.js';
import type { IdempotencyStore } from './writes/idempotency-store.js';

/** Gateway-wide list machinery: the cursor codec and the shared upstream page cache. */
export interface ListServices {
  codec: CursorCodec;
  pageCache: PageCache;
}

/** Subscriptions: the poll hub and the limits in force. */
export interface LiveServices {
  hub: PollHub;
  maxSubscriptions: number;
  /** Each client's share of live capacity (`LIVE_MAX_SUBSCRIPTIONS_PER_CLIENT`). */
  shares: SubscriptionShares;
  /** Tells the other replicas about a settled batch (a cancel); absent: one process. */
  coordinator?: Pick<Coordinator, 'broadcast'>;
}

/** Mutations: the idempotency keys and the scope writes need. */
export interface WriteServices {
  idempotency: IdempotencyStore;
  /** `JWT_WRITE_SCOPE`, named in FORBIDDEN refusals. */
  writeScope: string;
  /** Told how each mutation ended (metrics): `ok`, `replayed`, a user-error or an error code. */
  observe?: (mutation: string, outcome: string) => void;
}

/** What every resolver receives: the providers, this request's loaders, list and live services, notes. */
export interface GraphQLContext extends YogaInitialContext {
  /** Every provider this gateway knows (configured or not), in list rank order. */
  definitions: readonly AnyProviderDefinition[];
  /** Their names, in the same order (global IDs, the merged list). */
  providerNames: readonly ProviderName[];
  providers: Providers;
  loaders: Loaders;
  lists: ListServices;
  live: LiveServices;
  notes: ResponseNotes;
  /** The caller's verified Reach tenant (JWT mode); undefined in `AUTH_MODE=none`. */
  tenant?: string;
  /** The verified caller (empty in `AUTH_MODE=none`). */
  principal: Principal;
  /** Who the client is for per-client limits (`identity.ts`). */
  client: ClientIdentity;
  /** This request's upstream call budget, response deadline and cancellation. */
  budget: RequestBudget;
  /** This request's id (`x-request-id`, README "Operations"); one per connection on WebSocket. */
  requestId: string;
  /** The request's logger: every line carries `requestId`. */
  log: Logger;
  writes: WriteServices;
}

/**
 * The credential scope of a provider's data for this request: cached pages, cursors and poll
 * loops are never shared across scopes. Reach data is scoped by tenant; the others have one
 * credential set per gateway.
 */
export function scopeOf(ctx: Pick<GraphQLContext, 'tenant' | 'providers'>, provider: ProviderName): string {
  return ctx.providers[provider]?.capabilities.tenantScoped && ctx.tenant ? `tenant:${ctx.tenant}` : 'default';
}

/** Dependencies the context is built from, once per gateway. */
export interface ContextDeps {
  definitions: readonly AnyProviderDefinition[];
  /** The definitions' names, computed once per gateway. @default from `definitions` */
  providerNames?: readonly ProviderName[];
  providers: Providers;
  limits: Pick<UpstreamLimits, 'perRequestConcurrency' | 'maxCallsPerRequest' | 'requestDeadlineMs'>;
  lists: ListServices;
  live: LiveServices;
  writes: WriteServices;
}

/** Creates the gateway-wide list services from settings. */
export function createListServices(settings: ListSettings): ListServices {
  return {
    codec: createCursorCodec(settings.cursorSecret),
    pageCache: new PageCache(settings.pageCacheTtlMs, settings.pageCacheMaxPages),
  };
}

/** Builds the per-request part of the context: fresh DataLoaders, so nothing is cached across requests. */
export function createContext(
  deps: ContextDeps,
  principal: Principal,
  client: ClientIdentity,
  /** Aborts when the client disconnects. */
  clientSignal?: AbortSignal,
): Pick<
  GraphQLContext,
  | 'definitions'
  | 'providerNames'
  | 'providers'
  | 'loaders'
  | 'lists'
  | 'live'
  | 'notes'
  | 'tenant'
  | 'principal'
  | 'client'
  | 'budget'
  | 'writes'
> {
  const tenant = principal.tenant;
  const budget = new RequestBudget(deps.limits.maxCallsPerRequest, deps.limits.requestDeadlineMs, clientSignal);
  return {
    principal,
    client,
    budget,
    definitions: deps.definitions,
    providerNames: deps.providerNames ?? deps.definitions.map((d) => d.name),
    providers: deps.providers,
    loaders: createLoaders(deps.providers, deps.limits.perRequestConcurrency, budget, tenant),
    lists: deps.lists,
    live: deps.live,
    writes: deps.writes,
    notes: createNotes(),
    ...(tenant ? { tenant } : {}),
  };
}
