import type { Batch, ProviderName } from '../domain/batch.js';
import type { ErrorCode } from '../domain/errors.js';

/** What the poll hub broadcasts about one watched batch. */
export type HubEvent =
  | { kind: 'state'; batch: Batch }
  | { kind: 'end' }
  | { kind: 'error'; code: ErrorCode; message: string; provider?: ProviderName };

/**
 * How poll loops are shared: in memory for one process, through Redis for several. Events of a
 * key reach every listener of every process; a lease makes one process at a time poll a key.
 */
export interface Coordinator {
  readonly instanceId: string;
  /** Receives every event published for `key`; returns the unsubscribe function. */
  listen(key: string, onEvent: (event: HubEvent) => void): () => void;
  publish(key: string, event: HubEvent): Promise<void>;
  /** The last state published for `key` by any process, for a subscriber that joins late. */
  lastEvent(key: string): Promise<HubEvent | undefined>;
  /** Keeps the last state of `key` available to late joiners while it is unchanged but still watched. */
  keepAlive(key: string): Promise<void>;
  /** Takes or renews the poll lease of `key`; true when this process holds it. */
  acquire(key: string): Promise<boolean>;
  release(key: string): Promise<void>;
  /** Milliseconds a lease lasts without renewal (how long a takeover can take). */
  readonly leaseMs: number;
  close(): Promise<void>;
}

/** One process: events go straight to local listeners and the lease is always ours. */
export function createMemoryCoordinator(instanceId = `mem-${process.pid}`): Coordinator {
  const listeners = new Map<string, Set<(event: HubEvent) => void>>();
  return {
    instanceId,
    leaseMs: Number.POSITIVE_INFINITY,
    listen(key, onEvent) {
      let set = listeners.get(key);
      if (!set) listeners.set(key, (set = new Set()));
      set.add(onEvent);
      return () => {
        set.delete(onEvent);
        if (set.size === 0 && listeners.get(key) === set) listeners.delete(key);
      };
    },
    async publish(key, event) {
      for (const listener of [...(listeners.get(key) ?? [])]) listener(event);
    },
    lastEvent: async () => undefined,
    keepAlive: async () => {},
    acquire: async () => true,
    release: async () => {},
    close: async () => listeners.clear(),
  };
}

const DATE_KEYS = new Set(['createdAt', 'startedAt', 'completedAt', 'observedAt', 'estimatedCompletionAt', 'pendingExpiresAt', 'expiresAt']);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Parses an event that travelled as JSON, turning the batch's timestamps back into Dates. */
export function parseHubEvent(text: string): HubEvent {
  return JSON.parse(text, (key, value: unknown) => (DATE_KEYS.has(key) && typeof value === 'string' && ISO.test(value) ? new Date(value) : value)) as HubEvent;
}
