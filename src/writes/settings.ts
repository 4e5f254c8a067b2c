import { env, fragment } from '../config/settings.js';

/** Settings of writes' idempotency keys. */
export interface WriteSettings {
  /** Keys one client may hold at once (24 hours each); a new key past it is `IDEMPOTENCY_KEY_LIMIT`. */
  keysPerClient: number;
  /**
   * The HMAC secret of write markers (`writes/write-scope.ts`): `IDEMPOTENCY_MARKER_SECRET`, else derived from
   * the provider credentials (`loadConfig`), so every replica has the same one whatever Redis remembers.
   */
  markerSecret?: string;
  /** How long a replica's lease on a key it is writing lasts unless renewed (Redis). */
  leaseMs: number;
}

/** `IDEMPOTENCY_KEYS_PER_CLIENT`, `IDEMPOTENCY_MARKER_SECRET` and `IDEMPOTENCY_LEASE_MS`. */
export const writeSettings = fragment(
  {
    IDEMPOTENCY_KEYS_PER_CLIENT: env
      .int(10_000, 1, 10_000_000)
      .describe(
        'idempotency keys one client may hold (each lives 24 h); a write with a new key beyond it is ' +
          "`IDEMPOTENCY_KEY_LIMIT`, and no other client's key is ever evicted ([writes.md](writes.md#safe-to-retry))",
      ),
    IDEMPOTENCY_MARKER_SECRET: env
      .text()
      .meta({ fallback: 'derived from the provider credentials (as `CURSOR_SECRET`)' })
      .describe(
        'HMAC secret of the marker a keyed Check write carries, by which a retry finds its batch; every replica ' +
          'must have the same one (the derived one is), and a change makes retries of earlier unknown writes miss ' +
          'their batch',
      ),
    IDEMPOTENCY_LEASE_MS: env
      .int(10_000, 300, 600_000)
      .describe(
        "with Redis, how long a replica's claim on a key it is writing lasts unless renewed (every third of it): " +
          'a replica that dies mid-write leaves the key unknown after this, never free',
      ),
  },
  (v): WriteSettings => ({
    keysPerClient: v.IDEMPOTENCY_KEYS_PER_CLIENT,
    ...(v.IDEMPOTENCY_MARKER_SECRET ? { markerSecret: v.IDEMPOTENCY_MARKER_SECRET } : {}),
    leaseMs: v.IDEMPOTENCY_LEASE_MS,
  }),
  { title: 'Writes', says: 'Idempotency keys of writes ([writes.md](writes.md)).' },
);

/**
 * How long after a keyed write starts its upstream attempt can still be cut off: the wait for request
 * budget, the upstream deadline, and a second of margin. A retry of an unknown outcome looks for the
 * batch only after it (and a shutdown should leave a write this long, plus its read-back).
 */
export function writeAttemptWindowMs(upstream: { deadlineMs: number; budgetWaitMs: number }): number {
  return upstream.budgetWaitMs + upstream.deadlineMs + 1_000;
}

/**
 * How long a call waits for another in flight under its idempotency key (`IdempotencyStoreOptions.waitMs`): as
 * long as a write can take (a cancel: status, stop, read-back), plus a margin.
 */
export function replayWaitMs(upstream: { deadlineMs: number }): number {
  return upstream.deadlineMs * 3 + 5_000;
}
