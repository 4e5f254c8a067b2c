import { createServer, type RequestListener, type Server } from 'node:http';
import { Server as NetServer, type AddressInfo } from 'node:net';
import type { GatewayConfig } from './config.js';
import { createListServices, type ListServices, type LiveServices } from './graphql/context.js';
import { createMemoryCoordinator, type Coordinator } from './live/coordinator.js';
import { PollHub } from './live/poll-hub.js';
import { HealthBook } from './live/health-book.js';
import { BackgroundWatch } from './live/background.js';
import { POLL_JITTER } from './live/poll-policy.js';
import { SubscriptionShares } from './live/shares.js';
import { createRedisCoordinator } from './live/redis-coordinator.js';
import {
  closeProviders,
  createProviders,
  PROVIDER_DEFINITIONS,
  type AnyProviderDefinition,
  providerWebhooks,
} from './providers/index.js';
import { credentialScope, type Providers } from './domain/provider.js';
import type { Batch } from './domain/batch.js';
import type { WatchKey } from './live/keys.js';
import { createGateway } from './server.js';
import type { Gateway } from './graphql/context.js';
import { attachWebSocket } from './http/ws.js';
import { HttpDrain, type HttpDrainCounts } from './http/drain.js';
import type { GraphiQLTab } from './http/graphiql.js';
import { withLeaseLedger, type LeaseLedger } from './live/lease-ledger.js';
import type { DestinationStream, Logger } from 'pino';
import { createLogger, urlForLog } from './observability/logging.js';
import { createAuthenticator } from './identity/auth.js';
import { gateBody } from './http/body-gate.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { createClientRateLimiter } from './graphql/rate-limit.js';
import { budgetModeLog, SharedBudget } from './upstream/budget/shared-budget.js';
import { withWebhooks } from './webhooks/receiver.js';
import { setUpWebhooks } from './webhooks/setup.js';
import { startTracing, type Tracing } from './observability/tracing.js';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createIdempotencyStore } from './writes/create-store.js';
import { WritesInFlight } from './writes/in-flight.js';
import { replayWaitMs, writeAttemptWindowMs } from './writes/settings.js';
import { createGatewayRedis, type GatewayRedis } from './redis/connection.js';
import { redisHealthReporter } from './redis/health.js';
import { Ledger } from './ledger/ledger.js';
import { recordingAll } from './ledger/recording.js';
import { LedgerOpenError, openSqliteLedger } from './ledger/store.js';
import { openPostgresLedger } from './ledger/postgres-store.js';
import type { LedgerOutbox } from './ledger/ledger.js';
import { DeliveryWorker } from './notifications/worker.js';
import { Notifications } from './notifications/service.js';
import type { SafeConnectOptions } from './notifications/safe-connect.js';

/** A running gateway: HTTP, SSE and WebSocket on one port. */
export interface RunningGateway {
  url: string;
  port: number;
  server: Server;
  gateway: Gateway;
  providers: Providers;
  lists: ListServices;
  live: LiveServices;
  coordinator: Coordinator;
  logger: Logger;
  metrics: Metrics;
  /** The ledger (docs/ledger.md); undefined with `LEDGER=off`. */
  ledger: Ledger | undefined;
  /** Webhooks (docs/notifications.md); undefined when off. */
  notifications: Notifications | undefined;
  /** The tracer provider, when tracing is on (docs/operations.md, "Tracing"). */
  tracing: Tracing | undefined;
  /**
   * Stops gracefully: `/ready` answers 503, the listener closes, live streams end with a
   * reconnect signal (WebSocket 1012, SSE without `complete`), poll leases are released, and
   * in-flight queries get `timeoutMs` to finish before their connections are destroyed. Then
   * everything is closed. Calling it again returns the same shutdown.
   */
  shutdown(options?: {
    timeoutMs?: number;
    /**
     * First, for this long, `/ready` answers 503 while everything (new connections included) is still served
     * (`SHUTDOWN_DELAY_MS` on SIGTERM); then the drain, with its own `timeoutMs`. @default 0
     */
    delayMs?: number;
    /** Told when the drain begins (after the delay). */
    onDrain?: () => void;
  }): Promise<ShutdownReport>;
  /** Stops at once (a shutdown with no time for in-flight queries): tests and the demo. */
  close(): Promise<void>;
}

/** What a shutdown did: the exit log line. */
interface ShutdownReport extends HttpDrainCounts {
  webSocketsClosed: number;
  /** Poll leases (Redis) handed back, so another replica polls their batches at once. */
  leasesReleased: number;
  /** True when the timeout passed with queries or sockets still open, which were then destroyed. */
  forced: boolean;
  durationMs: number;
}

/** The WebSocket close code of a shutdown: graphql-ws clients reconnect (and so reach another replica). */
const SHUTDOWN_CLOSE_CODE = 1012;
const SHUTDOWN_CLOSE_REASON = 'Service Restart: this replica is stopping; reconnect';

/** Why `/ready` is 503 on a gateway without providers: it could answer no batch query. */
const NO_PROVIDER_REASON =
  'no provider is configured: set a provider base URL and its credentials (docs/configuration.md)';

/**
 * `/metrics` (Prometheus text) and `/ready` (JSON: each provider's circuit, and `pausedUntil` of those
 * whose own rate-limit headers hold calls back; 503 while every
 * configured provider's circuit is open, when no provider is configured (with a `reason`), and
 * from the start of a shutdown) beside yoga's `/health` liveness.
 */
function operations(
  handler: RequestListener,
  metrics: Metrics,
  providers: Providers,
  draining: () => boolean,
  leaving: () => boolean,
  ledger: Ledger | undefined,
): RequestListener {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/metrics') {
      void metrics.registry.metrics().then((text) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(text);
      });
      return;
    }
    if (req.method === 'GET' && path === '/ready') {
      const circuits = Object.fromEntries(
        Object.entries(providers).map(([name, p]) => [name, p?.circuit?.() ?? 'CLOSED']),
      );
      const states = Object.values(circuits);
      // From the signal: during the shutdown delay (still serving everything) as during the drain.
      const stopping = leaving() || draining();
      const none = states.length === 0;
      const ready = !stopping && !none && states.some((s) => s !== 'OPEN');
      const reason = none ? { reason: NO_PROVIDER_REASON } : {};
      // Providers whose own rate-limit headers hold calls back, and until when (readiness is unchanged).
      const paused = Object.entries(providers).flatMap(([name, p]) => {
        const until = p?.pausedUntil?.();
        return until === undefined ? [] : [[name, new Date(until).toISOString()] as const];
      });
      const pausedUntil = paused.length > 0 ? { pausedUntil: Object.fromEntries(paused) } : {};
      res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          ready,
          ...(draining() ? { draining: true } : stopping ? { stopping: true } : {}),
          ...reason,
          providers: circuits,
          ...pausedUntil,
          // The ledger's state never changes readiness: the gateway serves without it (docs/ledger.md).
          ...(ledger ? { ledger: ledger.state() } : {}),
        }),
      );
      return;
    }
    handler(req, res);
  };
}

/**
 * A Redis that cannot be reached at start-up: the message names `REDIS_URL` and where it points,
 * never its password or user.
 */
function redisStartError(url: string, error: unknown): Error {
  let where = 'the configured address';
  try {
    const parsed = new URL(url);
    where = `${parsed.protocol}//${parsed.host}${parsed.pathname.length > 1 ? parsed.pathname : ''}`;
  } catch {
    // Left as the configured address: the URL is validated when the configuration is read.
  }
  const code = (error as { code?: string } | null)?.code;
  const reason = (error as Error | null)?.message?.replaceAll(url, where) ?? String(error);
  return new Error(`REDIS_URL: cannot connect to Redis at ${where}${code ? ` (${code})` : ''}: ${reason}`, {
    cause: error,
  });
}

/**
 * The ledger of `LEDGER=on` (undefined with `off`): the embedded store in `DATA_DIR`, or, when it cannot be
 * opened (a read-only folder, a locked or corrupt file), a ledger without a store that `/ready` reports as
 * `unavailable`; the gateway starts either way.
 */
async function openLedger(
  settings: GatewayConfig['ledger'],
  logger: Logger,
  metrics: Metrics,
  healthValidMs: number,
  outbox: LedgerOutbox | undefined,
  prune: (() => Promise<number>) | undefined,
): Promise<{ ledger: Ledger; close(): Promise<void> } | undefined> {
  if (!settings.enabled) return undefined;
  const options = {
    cacheMaxEntries: settings.cacheMaxEntries,
    log: logger,
    observer: metrics.ledger,
    healthValidMs,
    ...(outbox ? { outbox } : {}),
  };
  const open = () =>
    settings.databaseUrl
      ? openPostgresLedger({
          url: settings.databaseUrl,
          poolMax: settings.poolMax,
          idleMs: settings.idleMs,
          deadlineMs: settings.deadlineMs,
        })
      : openSqliteLedger(settings.dataDir);
  const reasonOf = (error: unknown) =>
    error instanceof LedgerOpenError
      ? error.message
      : `${settings.databaseUrl ? 'DATABASE_URL' : 'DATA_DIR'}: ${(error as Error).message}`;
  let ledger: Ledger;
  let retry: NodeJS.Timeout | undefined;
  let closed = false;
  try {
    const store = await open();
    if (store.createdFolder)
      logger.info(
        { dataDir: store.createdFolder },
        `ledger: created DATA_DIR ${store.createdFolder} for the ledger (keep it across restarts: docs/ledger.md)`,
      );
    logger.info({ location: store.location }, 'ledger: remembering batches and writes');
    ledger = new Ledger(store, options);
  } catch (error) {
    const reason = reasonOf(error);
    const again = settings.databaseUrl ? `; retried every ${LEDGER_RETRY_MS / 1000} s` : '';
    logger.warn(
      { err: error },
      `ledger: unavailable, batchql runs without it (no Gameball list, no audit log${again}): ${reason}`,
    );
    // PostgreSQL may come back: entries wait in the bounded queue meanwhile, and the store is opened again until
    // it can be. A DATA_DIR that cannot be opened stays so until the next start.
    const waiting = new Ledger(undefined, {
      ...options,
      unavailable: reason,
      queueUntilAttached: settings.databaseUrl !== undefined,
    });
    ledger = waiting;
    if (settings.databaseUrl) {
      const attempt = () => {
        retry = setTimeout(() => {
          open().then(
            (store) => {
              retry = undefined;
              if (closed) return void store.close();
              logger.info({ location: store.location }, 'ledger: PostgreSQL reachable; remembering batches and writes');
              waiting.attach(store);
            },
            () => attempt(),
          );
        }, LEDGER_RETRY_MS);
        retry.unref();
      };
      attempt();
    }
  }
  metrics.bindLedger(ledger);
  const upkeep = keepUp(ledger, settings, logger, prune);
  return {
    ledger,
    close: async () => {
      closed = true;
      if (retry) clearTimeout(retry);
      await upkeep.stop();
      await ledger.close();
    },
  };
}

const DAY_MS = 86_400_000;

/**
 * The ledger's upkeep, every `LEDGER_MAINTENANCE_MS` (the first a round after start): retention and the thinning
 * of progress samples (docs/ledger.md, "Retention"), one round at a time, each in bounded steps. Every replica
 * runs it; a round another replica already did finds nothing to do.
 */
function keepUp(
  ledger: Ledger,
  settings: GatewayConfig['ledger'],
  logger: Logger,
  prune: (() => Promise<number>) | undefined,
): { stop(): Promise<void> } {
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = ledger
      .upkeep(settings.retentionDays * DAY_MS, settings.auditRetentionDays * DAY_MS)
      .then(async (report) => {
        // Webhook events whose deliveries all ended, past WEBHOOK_RETENTION_DAYS (docs/notifications.md).
        const events = await prune?.().catch(() => 0);
        if (events) logger.info({ events }, 'notifications: pruned webhook events past their retention');
        if (report && (report.pruned > 0 || report.auditPruned > 0))
          logger.info(
            { pruned: report.pruned, auditPruned: report.auditPruned, thinned: report.thinned },
            'ledger: pruned batches and audit entries past their retention',
          );
      })
      .finally(() => (running = undefined));
  }, settings.maintenanceMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}

/**
 * Why webhooks are off on this gateway (undefined: on): `NOTIFICATIONS=off`, no ledger to keep their outbox, or
 * several replicas on their own embedded ledgers with `NOTIFICATIONS=auto` (`on` refuses that at start-up).
 */
function notificationsOff(config: GatewayConfig): string | undefined {
  if (config.notifications.mode === 'off') return 'NOTIFICATIONS=off';
  if (!config.ledger.enabled) return 'they keep their outbox in the ledger, which is off (LEDGER=off)';
  if (config.redis.url && !config.ledger.databaseUrl)
    return 'several replicas (REDIS_URL) need one shared outbox: set DATABASE_URL (docs/notifications.md)';
  return undefined;
}

/** How often a ledger store that could not be opened at start (PostgreSQL) is tried again. */
const LEDGER_RETRY_MS = 5_000;

/** Builds providers, list services, the poll hub (in memory or on Redis) and the servers, and listens. */
export async function startGateway(
  config: GatewayConfig,
  /** `now`: the clock of observations (rates, estimates); tests pass the simulators' clock. */
  options: {
    graphiql?: boolean;
    host?: string;
    now?: () => number;
    logDestination?: DestinationStream;
    /** The providers this gateway knows (tests add fixtures). @default PROVIDER_DEFINITIONS */
    definitions?: readonly AnyProviderDefinition[];
    /** Tracing on, each span exported here as it ends (tests: `InMemorySpanExporter`), whatever `OTEL_*` say. */
    spanExporter?: SpanExporter;
    /** The tabs GraphiQL opens with, each with its variables (the demo's examples). */
    graphiqlTabs?: readonly GraphiQLTab[];
    /** The webhook client's injectable parts (tests: a fake resolver, a spy connector, a test CA). */
    webhookConnect?: Partial<SafeConnectOptions>;
  } = {},
): Promise<RunningGateway> {
  const definitions = options.definitions ?? PROVIDER_DEFINITIONS;
  const logger = createLogger(
    config.logLevel,
    options.logDestination,
    config.logSync,
    definitions.flatMap((d) => d.sensitiveHeaders ?? []),
  );
  for (const warning of config.warnings ?? []) logger.warn(`configuration: ${warning}`);
  const metrics = createMetrics();
  const tracing = await startTracing(config.tracing, {
    ...(options.spanExporter ? { exporter: options.spanExporter } : {}),
    instanceId: config.live.instanceId,
    logger,
  });
  if (tracing && config.tracing.endpoint)
    logger.info(
      { endpoint: urlForLog(config.tracing.endpoint), sampler: config.tracing.sampler },
      'tracing: spans are exported over OTLP/HTTP',
    );
  // What has started so far, each with how it stops: a later step that fails (a refused setting, Redis away,
  // the port taken) stops them all in reverse order, so nothing is left open behind the error.
  const started = new AsyncDisposableStack();
  started.defer(async () => {
    await tracing?.shutdown();
  });
  // Set when a shutdown begins: a Redis stopped with the gateway is no outage to warn about.
  let shuttingDown = false;
  const isShuttingDown = () => shuttingDown;
  // With REDIS_URL, the one Redis connection pair of this replica (`redis/connection.ts`): every Redis user
  // below (the live coordinator, the shared budget, the client rate limit, the idempotency keys, the webhook
  // ids) takes it, and it is closed after all of them. Its health goes to the logs and /metrics in one place.
  let redis: GatewayRedis | undefined;
  if (config.redis.url) {
    const connection = createGatewayRedis({
      url: config.redis.url,
      keyPrefix: config.redis.keyPrefix,
      instanceId: config.live.instanceId,
      health: redisHealthReporter(logger, metrics, isShuttingDown),
    });
    try {
      await connection.connect();
    } catch (error) {
      await started.disposeAsync();
      throw redisStartError(config.redis.url, error);
    }
    redis = connection;
    started.defer(() => connection.close());
  }
  // With Redis, each provider's request budget is shared by every replica.
  const sharedBudget = redis
    ? new SharedBudget({
        redis,
        instanceId: config.live.instanceId,
        onMode: budgetModeLog(logger, isShuttingDown),
      })
    : undefined;
  started.defer(async () => {
    await sharedBudget?.close();
  });
  const upstreamProviders = createProviders(definitions, config.providers, {
    ...config.upstream,
    ...(sharedBudget ? { sharedBudget } : {}),
    userAgent: `batchql/0.1 (${config.live.instanceId})`,
    observe: (provider, outcome, seconds, detail) => {
      metrics.observeUpstream(provider, outcome, seconds);
      if (outcome === 'ok' || outcome === 'aborted') return;
      // Inside a GraphQL operation the line carries its requestId (polls have none). No body, URL or header.
      const log = detail?.scope?.log ?? logger;
      const fields = { provider, code: outcome, upstreamStatus: detail?.upstreamStatus };
      // A write refused for the client's reason is its user error (logged by the mutation), not an upstream failure.
      if (detail?.refusal)
        log.debug({ provider, upstreamStatus: detail.upstreamStatus }, 'upstream refused the write: a user error');
      else if (outcome === 'NOT_FOUND' || detail?.circuitOpen)
        log.debug({ ...fields, circuitOpen: detail?.circuitOpen }, 'upstream call failed');
      else log.warn(fields, 'upstream call failed');
    },
    onDropped: (provider) => metrics.upstreamDropped(provider),
    onCircuit: (provider, state) =>
      logger.warn(
        { provider, circuit: state },
        state === 'OPEN'
          ? `circuit breaker of ${provider} opened: calls fail fast until a probe succeeds`
          : state === 'HALF_OPEN'
            ? `circuit breaker of ${provider} half-open: one probe goes through`
            : `circuit breaker of ${provider} closed: calls go through again`,
      ),
    // Polling after a 429 waits its Retry-After, at most as long as after any other failure.
    pauseCapMs: config.live.errorMaxMs,
    ...(tracing ? { tracing } : {}),
  });
  started.defer(() => closeProviders(upstreamProviders));
  // Webhooks (docs/notifications.md): their outbox is in the ledger's store, written in its flushes.
  // The ledger is opened after them (its flushes write their outbox): they reach its store through this.
  const ledgerOf: { ledger?: Ledger } = {};
  const notifyOff = notificationsOff(config);
  if (notifyOff && config.ledger.enabled && config.notifications.mode !== 'off')
    logger.info(`notifications: off: ${notifyOff}`);
  const worker = notifyOff
    ? undefined
    : new DeliveryWorker(() => ledgerOf.ledger?.database, {
        replica: config.live.instanceId,
        settings: config.notifications,
        log: logger,
        observer: metrics.notifications,
        ...(options.webhookConnect ? { connect: options.webhookConnect } : {}),
      });
  const notifications = worker
    ? new Notifications(() => ledgerOf.ledger?.database, worker, config.notifications, Date.now, metrics.notifications)
    : undefined;
  if (notifications) metrics.bindNotifications(() => notifications.pausedEndpoints());
  // The ledger (docs/ledger.md): every reading of every provider is told to it on its way back.
  // A stored health counts for as long as a stall takes to show (docs/live-progress.md, "Batch health").
  const opened = await openLedger(
    config.ledger,
    logger,
    metrics,
    config.health.policy.stallAfterMs,
    notifications?.outbox,
    notifications ? () => notifications.prune() : undefined,
  );
  started.defer(() => opened?.close());
  started.defer(() => worker?.close());
  const ledger = opened?.ledger;
  if (ledger) ledgerOf.ledger = ledger;
  const providers = ledger ? recordingAll(upstreamProviders, ledger, options.now) : upstreamProviders;
  const lists = createListServices(config.lists);
  // With Redis, the leases this process holds are kept in a ledger, so a shutdown hands them back at once.
  const leases: LeaseLedger | undefined = redis
    ? withLeaseLedger(
        createRedisCoordinator({ redis, instanceId: config.live.instanceId, leaseMs: config.live.leaseMs }),
      )
    : undefined;
  await sharedBudget?.start();
  const coordinator: Coordinator = leases ?? createMemoryCoordinator(config.live.instanceId);
  started.defer(() => coordinator.close());
  const {
    instanceId: _i,
    leaseMs: _l,
    maxSubscriptions,
    maxSubscriptionsPerConnection,
    maxSubscriptionsPerClient,
    bulkRefresh,
    ...policy
  } = config.live;
  // Each polled batch's health, its tracker seeded from the ledger's history (docs/live-progress.md, "Batch health").
  const health = new HealthBook(config.health.policy, ledger ? (ref) => ledger.healthSeed(ref) : undefined);
  const hub = new PollHub(providers, coordinator, { ...policy, jitter: POLL_JITTER }, options.now, {
    bulkRefresh,
    health,
    // Stale periods and health changes go into the batches' timelines (docs/ledger.md, "Timelines").
    ...(ledger ? { published: (key: WatchKey, batch: Batch) => ledger.published(key, batch) } : {}),
  });
  started.defer(() => hub.close());
  // Batches submitted through batchql are read until they finish, connected clients or not; it needs the ledger.
  const background = ledger
    ? new BackgroundWatch(hub, {
        max: config.health.backgroundMax,
        scanMs: config.health.backgroundScanMs,
        log: logger,
        source: async (limit) =>
          (await ledger.unfinishedSubmissions(limit))?.map(({ key, tenant }) => ({
            ...key,
            includePendingDetails: false,
            ...(tenant ? { tenant } : {}),
          })),
      })
    : undefined;
  started.defer(() => background?.close());
  metrics.bindHealth({
    byHealth: () => health.counts((options.now ?? Date.now)()),
    backgroundRefused: () => background?.stats().refused ?? 0,
  });

  const live: LiveServices = {
    hub,
    maxSubscriptions,
    shares: new SubscriptionShares(maxSubscriptionsPerClient),
    coordinator,
    ...(background ? { background } : {}),
  };
  // Idempotency keys of writes: shared by every replica through Redis, else in memory.
  const idempotency = createIdempotencyStore({
    redis,
    // A replay waits at most as long as a write can take (a cancel: status, stop, read-back), plus a margin.
    waitMs: replayWaitMs(config.upstream),
    perClient: config.writes.keysPerClient,
    leaseMs: config.writes.leaseMs,
    markerSecret: config.writes.markerSecret,
  });
  started.defer(() => idempotency.close());
  const writesInFlight = new WritesInFlight();
  // A shutdown shorter than a write can take is a configuration warning (`serverSettings`' rules).
  metrics.bind(hub, providers);
  if (sharedBudget) metrics.bindBudget(sharedBudget);
  // Provider webhooks (each definition's `webhook`, on when its secret is set): a verified terminal event
  // settles its batch on every replica.
  const webhook = setUpWebhooks({
    webhooks: providerWebhooks(definitions, config.providers),
    redis,
    providers,
    hub,
    coordinator,
    logger,
    metrics,
    now: options.now,
    noted: ledger
      ? (name, batch, type) =>
          ledger.record(
            {
              provider: name,
              scope: credentialScope(providers[name], undefined),
              providerBatchId: batch.providerBatchId,
            },
            { kind: 'WEBHOOK', at: new Date(), type, status: batch.status },
          )
      : undefined,
  });
  started.defer(() => webhook.close());
  if (config.auth.mode === 'none') {
    logger.warn(
      "AUTH_MODE=none: every client is trusted and acts with the gateway's own provider credentials. " +
        'Use it only for a local demo.',
    );
    if (config.logLevel !== 'silent')
      console.warn('\n*** batchql: AUTH_MODE=none: no client authentication. Local demo use only. ***\n');
  }
  const authenticate = createAuthenticator(config.auth);
  // On Redis, shared by the replicas; a Redis outage falls back to counting in memory.
  const limiter = createClientRateLimiter({ perMinute: config.rateLimit.perMinute, redis });
  started.defer(async () => {
    await limiter?.close();
  });
  const drain = new HttpDrain('/graphql');
  let gateway: Gateway;
  try {
    gateway = createGateway({
      definitions,
      providers,
      limits: config.upstream,
      lists,
      live,
      graphiql: options.graphiql,
      ...(options.graphiqlTabs ? { graphiqlTabs: options.graphiqlTabs } : {}),
      writes: {
        idempotency,
        writeScope: config.auth.writeScope,
        observe: (mutation, outcome) => metrics.write(mutation, outcome),
        attemptWindowMs: writeAttemptWindowMs(config.upstream),
        inFlight: writesInFlight,
      },
      ...(ledger
        ? {
            ledger: {
              ledger,
              cancelOwnBatchesOnly: config.ledger.cancelOwnBatchesOnly,
              auditRequired: config.ledger.auditRequired,
              perReplica: config.redis.url !== undefined && config.ledger.databaseUrl === undefined,
              operatorScope: config.auth.operatorScope,
              now: options.now ?? Date.now,
            },
          }
        : {}),
      notifications: notifications ? { service: notifications } : { off: notifyOff ?? 'NOTIFICATIONS=off' },
      console: config.console,
      logger,
      queries: config.queries,
      authenticate,
      trustProxy: config.trustProxy,
      corsOrigins: config.corsOrigins,
      rateLimit: {
        limiter,
        perMinute: config.rateLimit.perMinute,
        onRefused: (transport) => metrics.rateLimited(transport),
      },
      plugins: [drain.plugin()],
      ...(tracing ? { tracing } : {}),
      operations: {
        operation: (report) => metrics.operation(report),
        sseStream: (delta) => metrics.sseStream(delta),
      },
    });
  } catch (error) {
    // A refused setting (PERSISTED_OPERATIONS_FILE): nothing is left open behind the error (the Redis
    // connections included, which this branch once forgot).
    await started.disposeAsync();
    throw error;
  }
  const server = createServer(
    drain.listener(
      operations(
        // Bodies up to the mutation limit get through, those over MAX_BODY_BYTES only from a caller that may
        // write (`gateBody`, before a byte is read); `useBodyLimits` refuses a larger-than-MAX_BODY_BYTES body
        // once it is known not to be a mutation. WebSocket messages keep MAX_BODY_BYTES.
        withWebhooks(
          gateBody(gateway, {
            maxBodyBytes: config.queries.maxBodyBytes,
            maxMutationBodyBytes: config.queries.maxMutationBodyBytes,
            authenticate,
            writeScope: config.auth.writeScope,
            onError: (error) => logger.error({ err: error }, 'unexpected failure before reading a request body'),
          }),
          webhook.routes,
        ),
        metrics,
        providers,
        () => drain.draining,
        isShuttingDown,
        ledger,
      ),
    ),
  );
  const ws = attachWebSocket(server, gateway, {
    maxSubscriptionsPerConnection,
    maxPayloadBytes: config.queries.maxBodyBytes,
    authenticate,
    logger,
  });
  metrics.bindWebSockets(() => ws.sockets());
  started.defer(() => ws.close());
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    // The port is taken (EADDRINUSE) or not ours to bind.
    await started.disposeAsync();
    throw error;
  }
  // Started: from here `stop` closes everything, in its own order.
  started.move();
  background?.start();
  worker?.start();
  const port = (server.address() as AddressInfo).port;

  async function stop(timeoutMs: number, delayMs: number, onDrain?: () => void): Promise<ShutdownReport> {
    shuttingDown = true;
    const signalled = Date.now();
    // The readiness grace: `/ready` is 503 (load balancers stop sending) while everything is still served.
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    onDrain?.();
    const started = Date.now();
    const deadline = started + timeoutMs;
    // Leases first: from now on none is taken, and every one held is handed back (and counted once),
    // whether its loop gives it back itself as its streams end below or the ledger does.
    const leasesReleasing = leases ? leases.releaseAll() : Promise.resolve(0);
    drain.begin();
    // No new connections; those already open stay until their requests are answered (each with
    // `Connection: close`): http.Server#close would also drop the idle ones at once, racing a load
    // balancer about to reuse them, and leaving no connection to be told `/ready` 503.
    const listenerClosed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
    const webSocketsClosed = ws.drain(SHUTDOWN_CLOSE_CODE, SHUTDOWN_CLOSE_REASON);
    // The streams are cut already, so ending the watches sends no `complete` anywhere.
    await background?.close();
    await hub.close();
    // Sends under way are recorded before the store closes; what is left is claimed again after its lease.
    await worker?.close(Math.max(0, deadline - Date.now()));
    const leasesReleased = await leasesReleasing;
    // Writes in flight (HTTP or WebSocket) run to their end within the timeout: their sockets stay open
    // until then (`ws.drain`), and their outcome is recorded under their key before the store closes.
    writesInFlight.drain();
    await writesInFlight.idle(deadline);
    while ((drain.inFlight() > 0 || ws.sockets() > 0) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, Math.min(10, deadline - Date.now())));
    const forced = drain.inFlight() > 0 || ws.sockets() > 0;
    const counts = drain.report();
    server.closeAllConnections();
    await ws.close();
    await listenerClosed;
    await webhook.close();
    await coordinator.close();
    await idempotency.close();
    await limiter?.close();
    await closeProviders(providers);
    // What waits in the ledger (readings, audit entries, webhook events) is written before the store closes.
    await opened?.close();
    await sharedBudget?.close();
    // Every Redis user has closed: the connections go last.
    await redis?.close();
    // The last spans (the drained queries') are exported before the process exits.
    await tracing?.shutdown().catch(() => {});
    return { ...counts, webSocketsClosed, leasesReleased, forced, durationMs: Date.now() - signalled };
  }
  let stopping: Promise<ShutdownReport> | undefined;
  const shutdown = (options: { timeoutMs?: number; delayMs?: number; onDrain?: () => void } = {}) =>
    (stopping ??= stop(options.timeoutMs ?? config.shutdownTimeoutMs, options.delayMs ?? 0, options.onDrain));

  return {
    url: `http://localhost:${port}/graphql`,
    port,
    server,
    gateway,
    providers,
    ledger,
    notifications,
    lists,
    live,
    coordinator,
    logger,
    metrics,
    tracing,
    shutdown,
    async close() {
      await shutdown({ timeoutMs: 0 });
    },
  };
}
