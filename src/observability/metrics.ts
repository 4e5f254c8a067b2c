import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Providers } from '../domain/provider.js';

/**
 * The metrics are told about the layers above them (upstream calls, operations, live watches) through the
 * shapes below, which state what they read: each layer's own report satisfies them structurally, so this
 * module imports none of those layers.
 */

/** One upstream call, as the upstream layer's observer reports it (`UpstreamObserver`). */
type UpstreamCallMetric = (provider: string, outcome: string, seconds: number) => void;

/** What the metrics read of a finished GraphQL operation (the operation tracker's `OperationReport`). */
interface OperationMetric {
  operationName: string | undefined;
  operationType: string;
  durationMs: number;
  errorCodes: readonly string[];
}

/** What the health gauges read at scrape time (`HealthBook.counts`, `BackgroundWatch.stats`). */
interface HealthReadout {
  byHealth(): readonly { provider: string; health: string; count: number }[];
  /** Submissions the background watch could not take (its cap), since start. */
  backgroundRefused(): number;
}

/** What the gauges read of this process's live watches at scrape time (`PollHub.stats()`). */
interface WatchStats {
  subscribers: number;
  watchedKeys: number;
  pollingKeys: number;
  backgroundWatches: number;
  polls: number;
}

/** Prometheus metrics of one gateway process, served at `/metrics`. */
export interface Metrics {
  registry: Registry;
  observeUpstream: UpstreamCallMetric;
  /** An upstream call dropped unsent: its callers had left (or its deadline passed) before its turn. */
  upstreamDropped(provider: string): void;
  /** Connects the gauges read at scrape time (hub, breakers). */
  bind(hub: { stats(): WatchStats }, providers: Providers): void;
  /** Connects the gauges of batch health (the batches this process judges) and of the background watch. */
  bindHealth(read: HealthReadout): void;
  /** A failed Redis operation of any user of the connection (`redis/health.ts`). */
  redisError(operation: string): void;
  /** Whether this replica reaches Redis (`redis/health.ts`). */
  redisUp(reachable: boolean): void;
  /** A promise rejection nobody handled (the safety net caught it). */
  unhandledRejection(): void;
  /** A finished GraphQL operation (requests, errors, duration). */
  operation(report: OperationMetric): void;
  /** An SSE stream opened (+1) or closed (-1). */
  sseStream(delta: 1 | -1): void;
  /** Reads the open WebSocket count at scrape time. */
  bindWebSockets(read: () => number): void;
  /** An operation refused by the inbound per-client limit (`RATE_LIMIT_PER_MINUTE`). */
  rateLimited(transport: 'http' | 'sse' | 'ws'): void;
  /** One provider webhook request and how it ended (`settled`, `duplicate`, `invalid_signature`, …). */
  webhook(provider: string, outcome: string): void;
  /** One mutation and how it ended: `ok`, `replayed`, a user-error code or a GraphQL error code. */
  write(mutation: string, outcome: string): void;
  /** Reads the shared request budget's mode and replica count at scrape time (with `REDIS_URL`). */
  bindBudget(budget: BudgetView): void;
  /** What the ledger reports (`ledger/ledger.ts`' `LedgerObserver`). */
  ledger: LedgerMetric;
  /** Reads the ledger's size and memory cache at scrape time. */
  bindLedger(ledger: LedgerView): void;
  /** Outbound webhooks (`notifications/worker.ts`' `DeliveryObserver`, and the events the outbox stored). */
  notifications: NotificationMetric;
  /** Reads the number of paused endpoints at scrape time. */
  bindNotifications(paused: () => Promise<number>): void;
}

/** What outbound webhooks report. */
interface NotificationMetric {
  events(written: { events: number; deliveries: number }): void;
  attempt(outcome: 'delivered' | 'retrying' | 'failed' | 'refused', seconds: number): void;
  lag(seconds: number): void;
  paused(): void;
}

/** The ledger's reports (`LedgerObserver`). */
interface LedgerMetric {
  written(kind: 'batch' | 'audit', rows: number): void;
  failed(op: 'write' | 'read'): void;
  served(provider: string, from: 'memory' | 'store'): void;
  timed(op: 'flush' | 'read' | 'list', seconds: number): void;
}

/** What the gauges read of the ledger at scrape time. */
interface LedgerView {
  size(): number;
  readonly cacheEntries: number;
  readonly droppedRows: number;
}

/** What the metrics read of the shared request budget (`providers/shared-budget.ts`). */
interface BudgetView {
  readonly mode: 'shared' | 'local' | undefined;
  readonly replicas: number;
  readonly providers: readonly string[];
}

/** Distinct operation names (and error codes) counted under their own label before the rest become `other`. */
const MAX_LABEL_VALUES = 100;

/** Keeps a label's cardinality bounded: the first `max` distinct values, then `other`. */
function bounded(max: number): (value: string) => string {
  const seen = new Set<string>();
  return (value) => {
    if (seen.has(value)) return value;
    if (seen.size >= max) return 'other';
    seen.add(value);
    return value;
  };
}

/** One upstream series pair (calls and durations) bound to its labels. */
interface UpstreamSeries {
  count: { inc(value?: number): void };
  latency: { observe(value: number): void };
}

/** Creates the registry: Node's default metrics plus batchql's own (prefixed `batchql_`). */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const upstream = new Counter({
    name: 'batchql_upstream_requests_total',
    help: 'Upstream calls by provider and outcome (ok or error code)',
    labelNames: ['provider', 'outcome'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'batchql_upstream_duration_seconds',
    help: 'Upstream call duration, all attempts included',
    labelNames: ['provider', 'outcome'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
    registers: [registry],
  });
  // A subset of the calls counted above as `aborted` (or PROVIDER_TIMEOUT): those that never went out.
  const dropped = new Counter({
    name: 'batchql_upstream_dropped_total',
    help: 'Upstream calls dropped unsent: every caller left (or the deadline passed) while they waited',
    labelNames: ['provider'],
    registers: [registry],
  });
  // Every upstream call is counted and timed: its label sets are bound once per provider and outcome
  // (a few of each: `ok`, `aborted` and the error codes), not built per call.
  const boundUpstream = new Map<string, Map<string, UpstreamSeries>>();
  const upstreamLabels = (provider: string, outcome: string): UpstreamSeries => {
    let byOutcome = boundUpstream.get(provider);
    if (!byOutcome) boundUpstream.set(provider, (byOutcome = new Map()));
    let bound = byOutcome.get(outcome);
    if (!bound) {
      bound = { count: upstream.labels({ provider, outcome }), latency: latency.labels({ provider, outcome }) };
      byOutcome.set(outcome, bound);
    }
    return bound;
  };
  let hub: { stats(): WatchStats } | undefined;
  let providers: Providers = {};
  const hubGauge = (name: string, help: string, read: (s: WatchStats) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        if (hub) this.set(read(hub.stats()));
      },
    });
  hubGauge('batchql_subscriptions', 'Open subscriptions (per watched batch) on this process', (s) => s.subscribers);
  hubGauge('batchql_watched_batches', 'Batches with at least one subscriber on this process', (s) => s.watchedKeys);
  hubGauge('batchql_polling_batches', 'Batches this process polls (holds the lease for)', (s) => s.pollingKeys);
  let health: HealthReadout | undefined;
  new Gauge({
    name: 'batchql_batches_by_health',
    help: 'Batches this process judges the health of (it polls them), by provider and health (docs/live-progress.md)',
    labelNames: ['provider', 'health'],
    registers: [registry],
    collect() {
      this.reset();
      if (!health) return;
      // Every provider and health this process has a series of is set, zero included, so a series falls to 0.
      for (const provider of Object.keys(providers))
        for (const h of ['OK', 'SLOW', 'STALLED']) this.set({ provider, health: h }, 0);
      for (const row of health.byHealth()) this.set({ provider: row.provider, health: row.health }, row.count);
    },
  });
  hubGauge(
    'batchql_background_watches',
    'Batches watched in the background (submitted through batchql, not finished) on this process',
    (s) => s.backgroundWatches,
  );
  /** A counter of a total something else keeps (read at scrape time; undefined while not bound yet). */
  const totalCounter = (name: string, help: string, read: () => number | undefined) => {
    let seen = 0;
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const total = read() ?? seen;
        if (total > seen) this.inc(total - seen);
        seen = total;
      },
    });
  };
  totalCounter(
    'batchql_background_refused_total',
    'Submitted batches not watched in the background because WATCH_BACKGROUND_MAX was reached',
    () => health?.backgroundRefused(),
  );
  totalCounter('batchql_polls_total', 'Upstream polls made by this process since start', () => hub?.stats().polls);
  const requests = new Counter({
    name: 'batchql_graphql_requests_total',
    help: `GraphQL operations by type and name (the first ${MAX_LABEL_VALUES} names; the rest are "other")`,
    labelNames: ['operation_type', 'operation_name'],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'batchql_graphql_errors_total',
    help: 'Errors in GraphQL results, by extensions.code',
    labelNames: ['code'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'batchql_graphql_request_duration_seconds',
    help: 'GraphQL operation duration (a subscription: its stream lifetime)',
    labelNames: ['operation_type'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
    registers: [registry],
  });
  let sse = 0;
  let readSockets: () => number = () => 0;
  new Gauge({
    name: 'batchql_open_connections',
    help: 'Open WebSocket connections and SSE streams',
    labelNames: ['transport'],
    registers: [registry],
    collect() {
      this.set({ transport: 'ws' }, readSockets());
      this.set({ transport: 'sse' }, sse);
    },
  });
  // By transport only: a label naming the client would grow without bound (cardinality).
  const rateLimited = new Counter({
    name: 'batchql_rate_limited_total',
    help: 'Operations refused by the per-client rate limit (RATE_LIMIT_PER_MINUTE), by transport',
    labelNames: ['transport'],
    registers: [registry],
  });
  for (const transport of ['http', 'sse', 'ws']) rateLimited.inc({ transport }, 0);
  const operationName = bounded(MAX_LABEL_VALUES);
  const errorCode = bounded(MAX_LABEL_VALUES);
  new Gauge({
    name: 'batchql_circuit_open',
    help: '1 when the provider circuit breaker is open, 0.5 half-open, 0 closed',
    labelNames: ['provider'],
    registers: [registry],
    collect() {
      for (const [name, p] of Object.entries(providers)) {
        const state = p?.circuit?.() ?? 'CLOSED';
        this.set({ provider: name }, state === 'OPEN' ? 1 : state === 'HALF_OPEN' ? 0.5 : 0);
      }
    },
  });
  // Named for the live coordinator, their first user; since issue 26 they cover every user of the one Redis
  // connection (names kept, so existing dashboards and alerts keep working).
  const redisErrors = new Counter({
    name: 'batchql_coordinator_errors_total',
    help:
      "Failed Redis operations by operation: connection errors, the live coordinator's (lease, publish, …) and " +
      "the other users' (budget, idempotency, webhook-seen)",
    labelNames: ['operation'],
    registers: [registry],
  });
  const redisUp = new Gauge({
    name: 'batchql_coordinator_up',
    help: '1 while this replica reaches Redis, the connection every Redis user shares (always 1 in memory mode)',
    registers: [registry],
  });
  redisUp.set(1);
  let budget: BudgetView | undefined;
  new Gauge({
    name: 'batchql_upstream_budget_mode',
    help: "1 for the mode of each provider's request budget (REDIS_URL): shared through Redis, or local (a share)",
    labelNames: ['provider', 'mode'],
    registers: [registry],
    collect() {
      if (!budget?.mode) return;
      for (const provider of budget.providers)
        for (const mode of ['shared', 'local'] as const) this.set({ provider, mode }, budget.mode === mode ? 1 : 0);
    },
  });
  new Gauge({
    name: 'batchql_upstream_budget_replicas',
    help: 'Replicas sharing the request budget, as the last heartbeat in Redis saw them (with REDIS_URL)',
    registers: [registry],
    collect() {
      if (budget) this.set(budget.replicas);
    },
  });
  const unhandled = new Counter({
    name: 'batchql_unhandled_rejections_total',
    help: 'Promise rejections no code handled (logged and survived; each is a bug)',
    registers: [registry],
  });
  const webhooks = new Counter({
    name: 'batchql_webhooks_total',
    help: 'Provider webhook requests by provider and outcome (settled, not_terminal, duplicate, or why refused)',
    labelNames: ['provider', 'outcome'],
    registers: [registry],
  });
  const writes = new Counter({
    name: 'batchql_writes_total',
    help: 'Mutations by name and outcome: ok, replayed (an idempotency key answered), a user-error or an error code',
    labelNames: ['mutation', 'outcome'],
    registers: [registry],
  });
  const ledgerWrites = new Counter({
    name: 'batchql_ledger_writes_total',
    help: 'Rows the ledger wrote, by kind: batch (readings and sightings, written only on change) and audit',
    labelNames: ['kind'],
    registers: [registry],
  });
  const ledgerFailures = new Counter({
    name: 'batchql_ledger_failures_total',
    help: 'Ledger store operations that failed (write: a flush; read); reads and writes went on without it',
    labelNames: ['op'],
    registers: [registry],
  });
  const ledgerServed = new Counter({
    name: 'batchql_ledger_served_total',
    help: 'Batch reads answered from the ledger, each an upstream call avoided, by provider and where from',
    labelNames: ['provider', 'from'],
    registers: [registry],
  });
  const ledgerSeconds = new Histogram({
    name: 'batchql_ledger_store_seconds',
    help: 'Time of ledger store operations (flush: one transaction of waiting rows; read; list)',
    labelNames: ['op'],
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5],
    registers: [registry],
  });
  let ledgerView: LedgerView | undefined;
  new Gauge({
    name: 'batchql_ledger_bytes',
    help: "Bytes of the ledger's store on disk (its file and write-ahead log)",
    registers: [registry],
    collect() {
      this.set(ledgerView?.size() ?? 0);
    },
  });
  new Gauge({
    name: 'batchql_ledger_cache_entries',
    help: "Latest readings in this replica's ledger memory cache (LEDGER_CACHE_MAX_ENTRIES)",
    registers: [registry],
    collect() {
      this.set(ledgerView?.cacheEntries ?? 0);
    },
  });
  new Gauge({
    name: 'batchql_ledger_dropped_rows',
    help: 'Ledger rows dropped unwritten since start (a failing store, or a full queue)',
    registers: [registry],
    collect() {
      this.set(ledgerView?.droppedRows ?? 0);
    },
  });
  const notifyEvents = new Counter({
    name: 'batchql_webhook_events_total',
    help: 'Webhook events stored in the outbox (each with one delivery per matching endpoint)',
    registers: [registry],
  });
  const notifyDeliveries = new Counter({
    name: 'batchql_webhook_deliveries_total',
    help: 'Webhook deliveries by outcome: queued, delivered (a 2xx), failed (every retry failed)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const notifyAttempts = new Counter({
    name: 'batchql_webhook_attempts_total',
    help: 'Webhook delivery attempts by outcome: delivered, retrying, failed (no retry left), refused (address)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const notifyAttemptSeconds = new Histogram({
    name: 'batchql_webhook_attempt_seconds',
    help: 'Time of webhook delivery attempts, connection to answer',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const notifyLag = new Histogram({
    name: 'batchql_webhook_lag_seconds',
    help: 'From a webhook event being stored to its first delivery attempt',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const notifyPausedTotal = new Counter({
    name: 'batchql_webhook_endpoint_pauses_total',
    help: "Times an endpoint's circuit opened (WEBHOOK_CIRCUIT_FAILURES failures in a row) on this replica",
    registers: [registry],
  });
  let pausedEndpoints: (() => Promise<number>) | undefined;
  new Gauge({
    name: 'batchql_webhook_paused_endpoints',
    help: 'Webhook endpoints whose circuit is open now (their deliveries wait)',
    registers: [registry],
    async collect() {
      this.set(pausedEndpoints ? await pausedEndpoints().catch(() => 0) : 0);
    },
  });
  for (const outcome of ['queued', 'delivered', 'failed']) notifyDeliveries.inc({ outcome }, 0);
  return {
    registry,
    notifications: {
      events: ({ events, deliveries }) => {
        notifyEvents.inc(events);
        notifyDeliveries.inc({ outcome: 'queued' }, deliveries);
      },
      attempt: (outcome, seconds) => {
        notifyAttempts.inc({ outcome });
        notifyAttemptSeconds.observe(seconds);
        if (outcome === 'delivered' || outcome === 'failed') notifyDeliveries.inc({ outcome });
      },
      lag: (seconds) => notifyLag.observe(seconds),
      paused: () => notifyPausedTotal.inc(),
    },
    bindNotifications(read) {
      pausedEndpoints = read;
    },
    ledger: {
      written: (kind, rows) => ledgerWrites.inc({ kind }, rows),
      failed: (op) => ledgerFailures.inc({ op }),
      served: (provider, from) => ledgerServed.inc({ provider, from }),
      timed: (op, seconds) => ledgerSeconds.observe({ op }, seconds),
    },
    bindLedger(view) {
      ledgerView = view;
    },
    webhook: (provider, outcome) => webhooks.inc({ provider, outcome }),
    write: (mutation, outcome) => writes.inc({ mutation, outcome: errorCode(outcome) }),
    redisError: (operation) => redisErrors.inc({ operation }),
    redisUp: (reachable) => redisUp.set(reachable ? 1 : 0),
    unhandledRejection: () => unhandled.inc(),
    observeUpstream: (provider, outcome, seconds) => {
      const bound = upstreamLabels(provider, outcome);
      bound.count.inc();
      bound.latency.observe(seconds);
    },
    upstreamDropped: (provider) => dropped.inc({ provider }),
    operation(report) {
      requests.inc({
        operation_type: report.operationType,
        operation_name: operationName(report.operationName ?? 'anonymous'),
      });
      for (const code of report.errorCodes) errors.inc({ code: errorCode(code) });
      duration.observe({ operation_type: report.operationType }, report.durationMs / 1000);
    },
    sseStream(delta) {
      sse = Math.max(0, sse + delta);
    },
    rateLimited: (transport) => rateLimited.inc({ transport }),
    bindWebSockets(read) {
      readSockets = read;
    },
    bindBudget(b) {
      budget = b;
    },
    bindHealth(read) {
      health = read;
    },
    bind(h, p) {
      hub = h;
      providers = p;
      // Every configured provider's series exists from the start (0), so a rate over it works at once.
      for (const provider of Object.keys(p)) dropped.inc({ provider }, 0);
    },
  };
}
