import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PollHub } from './live/poll-hub.js';
import type { Providers } from './providers/index.js';

import type { UpstreamObserver } from './providers/upstream-types.js';

export type { UpstreamObserver } from './providers/upstream-types.js';

/** Prometheus metrics of one gateway process, served at `/metrics`. */
export interface Metrics {
  registry: Registry;
  observeUpstream: UpstreamObserver;
  /** Connects the gauges read at scrape time (hub, breakers). */
  bind(hub: PollHub, providers: Providers): void;
  /** A failed Redis operation of the live coordinator. */
  coordinatorError(operation: string): void;
  /** Whether the live coordinator's Redis is reachable. */
  coordinatorUp(reachable: boolean): void;
  /** A promise rejection nobody handled (the safety net caught it). */
  unhandledRejection(): void;
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
    labelNames: ['provider'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
    registers: [registry],
  });
  let hub: PollHub | undefined;
  let providers: Providers = {};
  const hubGauge = (name: string, help: string, read: (s: ReturnType<PollHub['stats']>) => number) =>
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
  hubGauge('batchql_polls', 'Upstream polls made by this process since start', (s) => s.polls);
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
  const coordinatorErrors = new Counter({
    name: 'batchql_coordinator_errors_total',
    help: 'Failed Redis operations of the live coordinator, by operation',
    labelNames: ['operation'],
    registers: [registry],
  });
  const coordinatorUp = new Gauge({
    name: 'batchql_coordinator_up',
    help: '1 while the live coordinator reaches Redis (always 1 in memory mode)',
    registers: [registry],
  });
  coordinatorUp.set(1);
  const unhandled = new Counter({
    name: 'batchql_unhandled_rejections_total',
    help: 'Promise rejections no code handled (logged and survived; each is a bug)',
    registers: [registry],
  });
  return {
    registry,
    coordinatorError: (operation) => coordinatorErrors.inc({ operation }),
    coordinatorUp: (reachable) => coordinatorUp.set(reachable ? 1 : 0),
    unhandledRejection: () => unhandled.inc(),
    observeUpstream: (provider, outcome, seconds) => {
      upstream.inc({ provider, outcome });
      latency.observe({ provider }, seconds);
    },
    bind(h, p) {
      hub = h;
      providers = p;
    },
  };
}
