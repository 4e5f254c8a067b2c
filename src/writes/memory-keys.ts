import { randomBytes } from 'node:crypto';
import {
  IDEMPOTENCY_TTL_MS,
  stillRunning,
  type Begin,
  type IdempotencyStore,
  type IdempotencyStoreOptions,
  type StoredOutcome,
  type WriteAttempt,
} from './idempotency-store.js';

interface Entry {
  fingerprint: string;
  expires: number;
  outcome?: StoredOutcome;
  attempt: WriteAttempt;
  /** A call in this process holds the key (it is running, or looking for its batch). */
  held: boolean;
  /** Resolves when the holder lets the key go. */
  released: Promise<void>;
  release: () => void;
}

function holdable(entry: Omit<Entry, 'released' | 'release' | 'held'>): Entry {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  return { ...entry, held: true, released, release };
}

/**
 * Idempotency keys in this process's memory: one map per client, swept of expired keys as it is used
 * and once a minute. A client at its cap is refused a new key; nothing is ever evicted early, so no
 * client's flood can push out another's key or a key in flight. The keys are lost when the process
 * stops (docs/writes.md, "Where keys live"): run Redis to keep them across restarts and replicas.
 */
export function memoryKeyStore(o: IdempotencyStoreOptions): IdempotencyStore {
  const ttl = o.ttlMs ?? IDEMPOTENCY_TTL_MS;
  const { perClient, waitMs } = o;
  const maxEntries = o.maxEntries ?? 1_000_000;
  const secret = o.markerSecret ?? randomBytes(32).toString('base64url');
  const clients = new Map<string, Map<string, Entry>>();
  let total = 0;
  let held = 0;

  /** Drops a client's expired keys; the map is in expiry order (a finish moves its key to the end). */
  const sweep = (client: string, keys: Map<string, Entry>, now: number) => {
    for (const [scope, entry] of keys) {
      if (entry.expires > now) break;
      if (entry.held) continue;
      keys.delete(scope);
      total--;
    }
    if (keys.size === 0) clients.delete(client);
  };
  const timer = setInterval(() => {
    const now = Date.now();
    for (const [client, keys] of clients) sweep(client, keys, now);
  }, 60_000);
  timer.unref();

  const letGo = (entry: Entry) => {
    if (!entry.held) return;
    entry.held = false;
    held--;
    entry.release();
  };

  return {
    async begin(client, scope, fingerprint, attempt): Promise<Begin> {
      const deadline = Date.now() + waitMs;
      for (;;) {
        let keys = clients.get(client);
        if (keys) sweep(client, keys, Date.now());
        keys = clients.get(client);
        const entry = keys?.get(scope);
        if (!entry) {
          if ((keys?.size ?? 0) >= perClient) return { kind: 'limit', cap: perClient };
          if (total >= maxEntries) return { kind: 'limit', cap: keys?.size ?? 0 };
          if (!keys) clients.set(client, (keys = new Map()));
          keys.set(scope, holdable({ fingerprint, expires: Date.now() + ttl, attempt }));
          total++;
          held++;
          return { kind: 'run' };
        }
        if (entry.fingerprint !== fingerprint) return { kind: 'conflict' };
        if (entry.outcome) return { kind: 'replay', outcome: entry.outcome };
        if (!entry.held) {
          const again = holdable(entry);
          keys!.set(scope, again);
          held++;
          return { kind: 'unknown', attempt: entry.attempt };
        }
        const left = deadline - Date.now();
        if (left <= 0) throw stillRunning(waitMs);
        let wait: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([entry.released, new Promise((r) => (wait = setTimeout(r, left)))]);
        clearTimeout(wait);
      }
    },
    async resend(client, scope, _fingerprint, attempt) {
      const entry = clients.get(client)?.get(scope);
      if (entry) entry.attempt = attempt;
    },
    async finish(client, scope, fingerprint, outcome) {
      const keys = clients.get(client);
      const entry = keys?.get(scope);
      if (!keys || !entry) return;
      // Moved to the end: the map stays in expiry order.
      keys.delete(scope);
      keys.set(scope, { ...entry, fingerprint, outcome, expires: Date.now() + ttl });
      letGo(entry);
    },
    async unknown(client, scope, fingerprint, attempt) {
      const entry = clients.get(client)?.get(scope);
      if (!entry) return;
      entry.fingerprint = fingerprint;
      entry.attempt = attempt;
      letGo(entry);
    },
    async abandon(client, scope) {
      const keys = clients.get(client);
      const entry = keys?.get(scope);
      if (!keys || !entry) return;
      keys.delete(scope);
      total--;
      if (keys.size === 0) clients.delete(client);
      letGo(entry);
    },
    markerSecret: async () => secret,
    held: () => held,
    async close() {
      clearInterval(timer);
      clients.clear();
      total = 0;
    },
  };
}
