import { randomBytes, randomUUID } from 'node:crypto';
import { ErrorCode, GatewayError } from '../domain/errors.js';
import type { GatewayRedis } from '../redis/connection.js';
import {
  IDEMPOTENCY_TTL_MS,
  stillRunning,
  type Begin,
  type IdempotencyStore,
  type IdempotencyStoreOptions,
  type StoredOutcome,
  type WriteAttempt,
} from './idempotency-store.js';

/** A key's record in Redis: its input's fingerprint, when it was sent, and once finished its outcome. */
interface RedisRecord {
  fingerprint: string;
  /** Until the write has an outcome. */
  attempt?: WriteAttempt;
  outcome?: StoredOutcome;
}

/**
 * Claims a key. KEYS: the record, its holder's lease, the client's set of keys (scored by expiry).
 * ARGV: fingerprint, new record, holder id, lease ms, ttl ms, now, the client's cap.
 * Answers `run` (a new key, held), `limit`, `conflict`, `replay` with the record, `wait` (held by a live
 * holder), or `unknown` with the record (no live holder and no outcome: this caller holds it now).
 */
const BEGIN = `
local raw = redis.call('GET', KEYS[1])
if not raw then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[6])
  if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[7]) then return {'limit'} end
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[5])
  redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
  redis.call('ZADD', KEYS[3], tonumber(ARGV[6]) + tonumber(ARGV[5]), KEYS[1])
  redis.call('PEXPIRE', KEYS[3], ARGV[5])
  return {'run'}
end
local record = cjson.decode(raw)
if record.fingerprint ~= ARGV[1] then return {'conflict'} end
if record.outcome then return {'replay', raw} end
if redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4], 'NX') then return {'unknown', raw} end
return {'wait'}
`;

/** Renews a lease its holder still has. KEYS: the lease. ARGV: holder id, lease ms. */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/** Rewrites a record and lets its lease go. KEYS: record, lease. ARGV: record, ttl ms (0: keep the ttl), holder. */
const SETTLE = `
if ARGV[2] == '0' then redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
else redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
return 1
`;

const unavailable = (cause: unknown) =>
  new GatewayError(
    ErrorCode.IDEMPOTENCY_STORE_UNAVAILABLE,
    'the idempotency store (Redis) is unreachable: a write with an idempotencyKey is refused rather than risk a ' +
      'double submit; retry later, or send it without a key',
    { cause },
  );

/**
 * Idempotency keys in Redis, shared by every replica. A key is a long-lived record (24 hours) plus a
 * lease of its holder, renewed while the holder's call runs. A replica that dies mid-write leaves its
 * record without a lease: the next call with the key reads it as unknown and looks for the batch,
 * never as a free key. Each client's keys are counted in a sorted set by expiry, against its cap.
 */
export function redisKeyStore(connection: GatewayRedis, o: IdempotencyStoreOptions): IdempotencyStore {
  const ttl = o.ttlMs ?? IDEMPOTENCY_TTL_MS;
  const { waitMs, perClient, leaseMs } = o;
  const holder = randomUUID();
  const { commands: redis, keyPrefix: prefix } = connection;
  const record = (scope: string) => `${prefix}idempotency:${scope}`;
  const lease = (scope: string) => `${prefix}idempotency-lease:${scope}`;
  const clientSet = (client: string) => `${prefix}idempotency-client:${client}`;
  /** Leases this process holds, renewed on one timer. */
  const renewing = new Set<string>();
  const renewal = setInterval(
    () => {
      for (const scope of renewing)
        void redis.eval(RENEW, 1, lease(scope), holder, String(leaseMs)).catch(() => {
          // Redis is away: the lease may lapse, and the key then reads as unknown (never as free).
        });
    },
    Math.max(50, Math.floor(leaseMs / 3)),
  );
  renewal.unref();
  let secret: Promise<string> | undefined;

  /** Runs Redis commands; any failure is the store being unavailable (and reported to the connection's health). */
  const command = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      await connection.ready();
      return await run();
    } catch (error) {
      connection.failed('idempotency', error);
      throw unavailable(error);
    }
  };
  const settle = async (scope: string, value: RedisRecord, ttlMs: number) => {
    renewing.delete(scope);
    await command(() =>
      redis.eval(SETTLE, 2, record(scope), lease(scope), JSON.stringify(value), String(ttlMs), holder),
    );
  };

  return {
    async begin(client, scope, fingerprint, attempt): Promise<Begin> {
      const deadline = Date.now() + waitMs;
      const fresh = JSON.stringify({ fingerprint, attempt } satisfies RedisRecord);
      for (;;) {
        const answer = (await command(() =>
          redis.eval(
            BEGIN,
            3,
            record(scope),
            lease(scope),
            clientSet(client),
            fingerprint,
            fresh,
            holder,
            String(leaseMs),
            String(ttl),
            String(Date.now()),
            String(perClient),
          ),
        )) as [string, string?];
        const [kind, raw] = answer;
        if (kind === 'run') {
          renewing.add(scope);
          return { kind: 'run' };
        }
        if (kind === 'limit') return { kind: 'limit', cap: perClient };
        if (kind === 'conflict') return { kind: 'conflict' };
        if (kind === 'replay') return { kind: 'replay', outcome: (JSON.parse(raw!) as RedisRecord).outcome! };
        if (kind === 'unknown') {
          renewing.add(scope);
          // No outcome yet, so the record has its attempt (BEGIN answers `replay` for one with an outcome).
          return { kind: 'unknown', attempt: (JSON.parse(raw!) as RedisRecord).attempt! };
        }
        if (Date.now() > deadline) throw stillRunning(waitMs);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async resend(_client, scope, fingerprint, attempt) {
      await command(() => redis.set(record(scope), JSON.stringify({ fingerprint, attempt }), 'KEEPTTL'));
    },
    async finish(_client, scope, fingerprint, outcome) {
      // A finished record replays its outcome; when it was sent no longer matters.
      await settle(scope, { fingerprint, outcome }, ttl);
    },
    async unknown(_client, scope, fingerprint, attempt) {
      await settle(scope, { fingerprint, attempt }, 0);
    },
    async abandon(client, scope) {
      renewing.delete(scope);
      await command(() =>
        redis.multi().del(record(scope)).del(lease(scope)).zrem(clientSet(client), record(scope)).exec(),
      );
    },
    markerSecret() {
      if (o.markerSecret) return Promise.resolve(o.markerSecret);
      // One secret for every replica, made by the first that asks, so a retry on any replica finds the marker.
      secret ??= command(async () => {
        const name = `${prefix}idempotency-marker-secret`;
        await redis.set(name, randomBytes(32).toString('base64url'), 'NX');
        const value = await redis.get(name);
        if (value === null) throw new Error('the marker secret vanished');
        return value;
      }).catch((error: unknown) => {
        secret = undefined;
        throw error;
      });
      return secret;
    },
    held: () => renewing.size,
    // The connection is the gateway's: closed after this store.
    async close() {
      clearInterval(renewal);
      renewing.clear();
    },
  };
}
