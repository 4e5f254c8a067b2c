import type { YogaInitialContext, YogaServerInstance } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { ListSettings } from './connections/settings.js';
import type { UpstreamLimits } from '../upstream/limits.js';
import type { ProviderName } from '../domain/batch.js';
import { createCursorCodec, type CursorCodec } from './connections/cursor.js';
import { PageCache } from './connections/page-cache.js';
import { createLoaders, type Loaders } from './loaders.js';
import { createNotes, type ResponseNotes } from './notes.js';
import type { PollHub } from '../live/poll-hub.js';
import type { BackgroundWatch } from '../live/background.js';
import type { SubscriptionShares } from '../live/shares.js';
import { credentialScope, type Providers } from '../domain/provider.js';
import type { ServedProvider } from './served-provider.js';
import type { Principal } from '../identity/auth.js';
import type { ClientIdentity } from '../identity/identity.js';
import { RequestBudget } from './request-budget.js';
import type { Coordinator } from '../live/coordinator.js';
import type { IdempotencyStore } from '../writes/idempotency-store.js';
import type { WritesInFlight } from '../writes/in-flight.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Notifications } from '../notifications/service.js';
import type { ConsoleSettings } from './console-settings.js';

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
  /** Reads submitted batches until they finish, with nobody connected; absent with the ledger off. */
  background?: BackgroundWatch;
}

/** Mutations: the idempotency keys and the scope writes need. */
export interface WriteServices {
  idempotency: IdempotencyStore;
  /** `JWT_WRITE_SCOPE`, named in FORBIDDEN refusals. */
  writeScope: string;
  /**
   * Told how each mutation ended (metrics): `ok`, `replayed`, `reconciled` (a retry found the batch of an
   * unknown outcome), `resent` (it was surely absent), a user-error or an error code.
   */
  observe?: (mutation: string, outcome: string) => void;
  /**
   * How long after a keyed write starts its upstream attempt can still be cut off by its deadline (the
   * budget wait, the upstream deadline and a margin): a retry of an unknown outcome looks only after it.
   */
  attemptWindowMs: number;
  /** Writes running now, which a shutdown waits for. */
  inFlight?: WritesInFlight;
}

/** The ledger (docs/ledger.md) and the rules that use it; absent with `LEDGER=off`. */
export interface LedgerServices {
  ledger: Ledger;
  /** `CANCEL_OWN_BATCHES_ONLY`. */
  cancelOwnBatchesOnly: boolean;
  /** `LEDGER_AUDIT_REQUIRED`: a write refuses when its audit entry cannot be stored. */
  auditRequired?: boolean;
  /** Several replicas (`REDIS_URL`) with the embedded store: each lists only what it saw itself. */
  perReplica?: boolean;
  /** `JWT_OPERATOR_SCOPE`, named in FORBIDDEN refusals. */
  operatorScope: string;
  /** The clock a stored reading's `expiresAt` is compared with (tests pass the simulators'). */
  now: () => number;
}

/** Webhooks (docs/notifications.md): the service, or why they are off on this gateway. */
export interface NotificationServices {
  service?: Notifications;
  /** Why they are off (`NOTIFICATIONS=off`, several replicas on the embedded store), for the refusal. */
  off?: string;
}

/** What the gateway shares with every request: one object, made once. */
export interface GatewayServices {
  /** Every provider this gateway knows (configured or not), in list rank order. */
  definitions: readonly ServedProvider[];
  /** Their names, in the same order (global IDs, the merged list). */
  providerNames: readonly ProviderName[];
  providers: Providers;
  lists: ListServices;
  live: LiveServices;
  writes: WriteServices;
  ledger?: LedgerServices;
  notifications?: NotificationServices;
  /** The operator console's settings (`CONSOLE_*`); absent: their defaults. */
  console?: ConsoleSettings;
}

/**
 * What every resolver receives: the gateway's services, this request's loaders, budget and notes.
 * envelop merges these into yoga's own context property by property; the gateway-wide part is one
 * property (`gateway`), because past about 12 properties added that way V8 turns the object into a
 * hash table: slower to read in every resolver, and about 1.5 KiB more per live subscription.
 */
export interface GraphQLContext extends YogaInitialContext {
  gateway: GatewayServices;
  loaders: Loaders;
  notes: ResponseNotes;
  /** The caller's verified tenant (JWT mode), for tenant-scoped providers; undefined in `AUTH_MODE=none`. */
  tenant?: string;
  /** The verified caller (empty in `AUTH_MODE=none`). */
  principal: Principal;
  /** Who the client is for per-client limits (`identity.ts`). */
  client: ClientIdentity;
  /** This request's upstream call budget, response deadline and cancellation. */
  budget: RequestBudget;
  /** This request's id (`x-request-id`, docs/operations.md); one per connection on WebSocket. */
  requestId: string;
  /** The request's logger: every line carries `requestId`. */
  log: Logger;
}

/**
 * The credential scope of a provider's data for this request: cached pages, cursors and poll
 * loops are never shared across scopes. A tenant-scoped provider's data is scoped by tenant; the others have one
 * credential set per gateway.
 */
export function scopeOf(ctx: Pick<GraphQLContext, 'tenant' | 'gateway'>, provider: ProviderName): string {
  return credentialScope(ctx.gateway.providers[provider], ctx.tenant);
}

/** Dependencies the context is built from, once per gateway. */
export interface ContextDeps {
  gateway: GatewayServices;
  limits: Pick<UpstreamLimits, 'perRequestConcurrency' | 'maxCallsPerRequest' | 'requestDeadlineMs'>;
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
): Pick<GraphQLContext, 'gateway' | 'loaders' | 'notes' | 'tenant' | 'principal' | 'client' | 'budget'> {
  const tenant = principal.tenant;
  const budget = new RequestBudget(
    deps.limits.maxCallsPerRequest,
    deps.limits.requestDeadlineMs,
    clientSignal,
    client.key,
  );
  return {
    gateway: deps.gateway,
    principal,
    client,
    budget,
    loaders: createLoaders(deps.gateway.providers, deps.limits.perRequestConcurrency, budget, tenant),
    notes: createNotes(),
    ...(tenant ? { tenant } : {}),
  };
}

/** The GraphQL gateway (`createGateway` in server.ts): the edge (`http/`) serves it over HTTP, SSE and WebSocket. */
export type Gateway = YogaServerInstance<Record<string, unknown>, GraphQLContext>;
