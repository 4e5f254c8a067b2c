import type { Batch, ProviderName } from '../domain/batch.js';
import type { ErrorCode } from '../domain/errors.js';

/** What the poll hub broadcasts about one watched batch. */
export type HubEvent =
  | { kind: 'state'; batch: Batch }
  | { kind: 'end' }
  | { kind: 'error'; code: ErrorCode; message: string; provider?: ProviderName };

/**
 * A batch's new state, from a verified provider webhook or a write (a cancel). A terminal one ends
 * every process's watches of that batch, whatever scope or detail level they watch it under; one
 * that is not terminal yet makes every process's poll loops of it read it now (`PollHub.nudge`).
 */
export interface BatchSettled {
  provider: ProviderName;
  providerBatchId: string;
  batch: Batch;
}

/**
 * How poll loops are shared: in memory for one process, through Redis for several. The poll hub
 * delivers its own events to its own subscribers; the coordinator carries them to the other
 * processes, and a lease makes one process at a time poll a key.
 */
export interface Coordinator {
  readonly instanceId: string;
  /**
   * True when other processes share poll loops through this coordinator: leases are contended,
   * expire unless renewed and are handed back, and bulk-refresh members are announced. False for
   * one process alone: the lease is always its own and nobody hears announcements.
   */
  readonly shared: boolean;
  /** Receives every event other processes publish for `key`; returns the unsubscribe function. */
  listen(key: string, onEvent: (event: HubEvent) => void): () => void;
  /** Sends an event to the other processes (and keeps the last state for late joiners). */
  publish(key: string, event: HubEvent): Promise<void>;
  /** The last state published for `key` by any process, for a subscriber that joins late. */
  lastEvent(key: string): Promise<HubEvent | undefined>;
  /** Keeps the last state of `key` available to late joiners while it is unchanged but still watched. */
  keepAlive(key: string): Promise<void>;
  /**
   * Takes or renews the poll lease of `key`: true when this process holds it, false when another
   * does. Rejects when the lease cannot be read (Redis unreachable): the hub then polls itself.
   */
  acquire(key: string): Promise<boolean>;
  release(key: string): Promise<void>;
  /**
   * Says that this process has subscribers for `members` (watch keys) of the bulk-refresh unit `unit`,
   * for `ttlMs` unless announced again: the unit's lease holder refreshes them for every process.
   */
  announce(unit: string, members: readonly string[], ttlMs: number): Promise<void>;
  /** Withdraws members this process no longer watches (before their announcement expires). */
  withdraw(unit: string, members: readonly string[]): Promise<void>;
  /** The members of `unit` any other process announced and that have not expired. */
  members(unit: string): Promise<string[]>;
  /** Milliseconds a lease lasts without renewal (how long a takeover can take). */
  readonly leaseMs: number;
  /** Sends a settled batch to the other processes (their keys of it are not known here). */
  broadcast(message: BatchSettled): Promise<void>;
  /** Receives every settled batch other processes broadcast; returns the unsubscribe function. */
  onBroadcast(listener: (message: BatchSettled) => void): () => void;
  /** False while the shared store is unreachable. */
  healthy(): boolean;
  close(): Promise<void>;
}

/** One process: there is nobody to tell, and the lease is always ours. */
export function createMemoryCoordinator(instanceId = `mem-${process.pid}`): Coordinator {
  return {
    instanceId,
    shared: false,
    leaseMs: Number.POSITIVE_INFINITY,
    listen: () => () => {},
    publish: async () => {},
    lastEvent: async () => undefined,
    keepAlive: async () => {},
    acquire: async () => true,
    release: async () => {},
    announce: async () => {},
    withdraw: async () => {},
    members: async () => [],
    broadcast: async () => {},
    onBroadcast: () => () => {},
    healthy: () => true,
    close: async () => {},
  };
}

const DATE_KEYS = new Set([
  'createdAt',
  'startedAt',
  'completedAt',
  'observedAt',
  'estimatedCompletionAt',
  'pendingExpiresAt',
  'expiresAt',
  'healthSince',
]);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Parses JSON that carries batches (events, stored write answers), turning their timestamps back into Dates. */
export function parseWithDates(text: string): unknown {
  return JSON.parse(text, (key, value: unknown) =>
    DATE_KEYS.has(key) && typeof value === 'string' && ISO.test(value) ? new Date(value) : value,
  );
}

/** Parses an event that travelled as JSON, turning the batch's timestamps back into Dates. */
export function parseHubEvent(text: string): HubEvent {
  return parseWithDates(text) as HubEvent;
}
