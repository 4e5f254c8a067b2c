import { ErrorCode, GatewayError } from '../domain/errors.js';
import type { GatewayRedis } from '../redis/connection.js';

/** How long a key is remembered (24 hours). */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

/** What a finished write left under its key: its answer (JSON-safe), replayed as is. */
export type StoredOutcome = { kind: 'result'; value: unknown } | { kind: 'error'; code: string; message: string };

/**
 * When a write under a key was (or will be) sent: `since` is no later than the request left, and
 * `deadlineAt` no earlier than the moment its upstream deadline cut it off. A retry looks for the batch
 * from `since` (less a margin) and only once `deadlineAt` has passed.
 */
export interface WriteAttempt {
  since: number;
  deadlineAt: number;
}

/** What `begin` decided for a call. */
export type Begin =
  /** The key is new and this call's now: run the write, then `finish`, `unknown` or `abandon`. */
  | { kind: 'run' }
  /** A call with the same key and input finished: answer its outcome. */
  | { kind: 'replay'; outcome: StoredOutcome }
  /** The key was used with other input. */
  | { kind: 'conflict' }
  /**
   * A call with the key may or may not have reached the provider (its answer was ambiguous, or the
   * replica that held it died): this call holds the key now, to look for the batch (`attempt` says
   * when it was sent), and ends with `finish`, `unknown` or, before sending again, `resend`.
   */
  | { kind: 'unknown'; attempt: WriteAttempt }
  /** The client holds `cap` keys already: the write is refused, and no other client's key is touched. */
  | { kind: 'limit'; cap: number };

/**
 * The gateway's idempotency keys (docs/writes.md, "Safe to retry"): each stored under its scope
 * (`writeScopeOf`) and counted against its client, remembered for 24 hours with a fingerprint of the
 * input and, once finished, the write's outcome. A call that finds its key held by another call in
 * flight waits for it (up to `waitMs`). A held key whose holder is gone (its lease lapsed in Redis) reads
 * as unknown, never as free.
 */
export interface IdempotencyStore {
  begin(client: string, scope: string, fingerprint: string, attempt: WriteAttempt): Promise<Begin>;
  /** The holder of an unknown key sends the write again (the batch was surely absent): records when. */
  resend(client: string, scope: string, fingerprint: string, attempt: WriteAttempt): Promise<void>;
  /** Stores the outcome of the call that holds `scope`, and lets it go. */
  finish(client: string, scope: string, fingerprint: string, outcome: StoredOutcome): Promise<void>;
  /** Keeps `scope` as unknown (the provider may have the write), and lets it go. */
  unknown(client: string, scope: string, fingerprint: string, attempt: WriteAttempt): Promise<void>;
  /** Frees `scope` (nothing was sent, or the refusal may be retried). */
  abandon(client: string, scope: string): Promise<void>;
  /** The secret of write markers (`writeMarkerOf`): the configured one, else one shared through the store. */
  markerSecret(): Promise<string>;
  /** Keys held by calls in flight in this process. */
  held(): number;
  close(): Promise<void>;
}

/** Options of the store. */
export interface IdempotencyStoreOptions {
  /**
   * Shared by every replica through the gateway's Redis (`redis/connection.ts`, keys under its `keyPrefix`);
   * in memory without it.
   */
  redis?: GatewayRedis | undefined;
  /** How long a call waits for another in flight under its key (the runtime's: as long as a write can take). */
  waitMs: number;
  /** @default IDEMPOTENCY_TTL_MS */
  ttlMs?: number;
  /** Most keys one client may hold (`IDEMPOTENCY_KEYS_PER_CLIENT`). */
  perClient: number;
  /** Most keys held in memory by all clients together; past it new keys are refused. @default 1000000 */
  maxEntries?: number;
  /** Redis: how long a holder's lease lasts unless renewed, renewed every third of it (`IDEMPOTENCY_LEASE_MS`). */
  leaseMs: number;
  /** The marker secret (`IDEMPOTENCY_MARKER_SECRET`). @default one made at random and shared through Redis */
  markerSecret?: string | undefined;
}

/** The answer to a call that waited too long for the holder of its key. */
export const stillRunning = (waitMs: number) =>
  new GatewayError(
    ErrorCode.OUTCOME_UNKNOWN,
    `a call with this idempotencyKey has been running for over ${waitMs} ms; its outcome is not known yet`,
  );

/** The refusal of a new key past the client's cap. */
export const keyLimitError = (cap: number) =>
  new GatewayError(
    ErrorCode.IDEMPOTENCY_KEY_LIMIT,
    `this client holds ${cap} idempotency keys from the last 24 hours (IDEMPOTENCY_KEYS_PER_CLIENT); ` +
      'a write with a new key is refused until the oldest expire (a write without a key still goes through)',
  );
