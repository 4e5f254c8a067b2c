import { createSystemClock, type SimClock } from '../../../dev/simulators/clock.js';
import {
  generateBatches,
  isFailingItem,
  stateAt,
  type DataSetOptions,
  type SimBatch,
} from '../../../dev/simulators/model.js';
import { FixedWindow } from '../../../dev/simulators/quota.js';
import { createRolling, type RollingOptions } from '../../../dev/simulators/rolling.js';
import {
  startSimServer,
  type CreatedBatch,
  type SimQuota,
  type SimResponse,
  type Simulator,
} from '../../../dev/simulators/server.js';
import { createGameballWrites, gameballOperationOf } from './writes.js';

/** Gameball simulator credentials (headers `apikey` and `secretkey`). */
export interface GameballSimCredentials {
  apiKey: string;
  secretKey: string;
}

/**
 * Gameball's rate limits for one resource: a per-second rate and a per-30-second quota, 429 beyond
 * either (docs/providers.md).
 */
export interface GameballRateLimits {
  perSecond: number;
  per30s: number;
  /**
   * Send `Retry-After` (whole seconds until the window that refused ends) on a quota 429. Gameball
   * documents no `Retry-After`, and batchql assumes its 429 gives no wait (docs/providers.md,
   * "Gameball 429"), so this is the simulator's own option, off unless asked for.
   * @default false
   */
  retryAfter?: boolean;
}

/** The documented limits of the "Others" resource, under which the batch endpoints fall. */
const GAMEBALL_DOCUMENTED_RATE_LIMITS: Readonly<GameballRateLimits> = { perSecond: 30, per30s: 360 };

/** Options of the Gameball simulator. */
export interface GameballSimulatorOptions extends DataSetOptions {
  clock?: SimClock;
  seed?: number;
  /** @default 300 */
  batchCount?: number;
  port?: number;
  /** Address to listen on. @default 127.0.0.1 */
  host?: string;
  secretMarker?: string;
  credentials?: GameballSimCredentials;
  /**
   * Gameball's two windows, tracked per resource as documented (both batch endpoints, status and
   * stop, are the one resource "Others"); `documented` is `GAMEBALL_DOCUMENTED_RATE_LIMITS`.
   * Windows are fixed and aligned to the clock (whole seconds; :00 and :30). A request counts in
   * both windows whatever its credentials or answer (an injected fault included); one past either
   * window is refused with 429 `{code: 2029, type: "RATE_LIMIT_ERROR"}` and counts in neither.
   * @default 'none'
   */
  rateLimits?: GameballRateLimits | 'documented' | 'none';
  /**
   * Rolling batches beside the seeded ones (which stay as they are), one a period for ever (`createRolling`),
   * so batches are queued, running and finished at any time. Their ids have nine digits, where the seeded
   * and the written ones have at most eight. @default none
   */
  rolling?: RollingOptions | undefined;
}

/** Gameball's rate-limit resource of a route: the batch endpoints are all "Others". */
const resourceOf = (route: string | undefined): string | undefined =>
  route?.includes('/integrations/batch') ? 'others' : undefined;

const OPERATIONS = ['cashback', 'redeem', 'balance-adjustment', 'customers', 'orders'] as const;

/**
 * Starts a Gameball v4 simulator: batch creation (`gameball-writes.ts`),
 * `GET /api/v4.0/integrations/batches/{id}/status` and
 * `POST …/{id}/stop`, `apikey` + `secretkey` auth, the flat `{code,type,message,requestId}`
 * error envelope. After a stop the batch reports `"stopped"`: the v4 enum has no word for it,
 * the older docs say `Stopped`, and batchql chose the lowercase form (docs/schema.md, "Choices where
 * the providers are silent").
 */
export async function createGameballSimulator(
  o: GameballSimulatorOptions = {},
): Promise<Simulator & { credentials: GameballSimCredentials }> {
  const clock = o.clock ?? createSystemClock();
  const credentials = o.credentials ?? { apiKey: 'sim-gb-api-key', secretKey: 'sim-gb-secret-key' };
  const batches = generateBatches({
    seed: (o.seed ?? 1) + 1,
    count: o.batchCount ?? 300,
    now: clock.now(),
    makeId: (r) => String(r.int(100_000, 99_999_999)),
    maxItems: 1000,
    profile: o.profile,
    durationMs: o.durationMs,
  });
  for (const b of batches) b.extra = { operation: OPERATIONS[b.index % OPERATIONS.length] };
  const rolling =
    o.rolling &&
    createRolling(batches, clock.now(), o.rolling, {
      phase: 1 / 3,
      salt: 0x9ba1,
      maxItems: 1000,
      makeId: (r) => String(r.int(100_000_000, 999_999_999)),
      extra: (_r, slot) => ({ operation: OPERATIONS[slot % OPERATIONS.length] }),
    });
  const byId = new Map(batches.map((b) => [b.id, b]));
  /** The rolling batches the clock has reached, and every batch (a write's too) in `byId`. */
  const sync = () => {
    rolling?.catchUp(clock.now());
    for (const b of batches.slice(byId.size)) byId.set(b.id, b);
  };
  let requestSeq = 0;
  const envelope = (status: number, code: number, type: string, message: string): SimResponse => ({
    status,
    body: { code, type, message, requestId: `req_${(++requestSeq).toString(16).padStart(10, '0')}` },
  });
  const created: CreatedBatch[] = [];
  const writes = createGameballWrites({ clock, batches, envelope, created, seed: o.seed ?? 1 });

  const limits =
    o.rateLimits === undefined || o.rateLimits === 'none'
      ? undefined
      : o.rateLimits === 'documented'
        ? GAMEBALL_DOCUMENTED_RATE_LIMITS
        : o.rateLimits;
  const windows = new Map<string, FixedWindow[]>();
  const quota: SimQuota | undefined = limits && {
    admit: (route, now) => {
      const resource = resourceOf(route);
      if (resource === undefined) return {};
      let pair = windows.get(resource);
      if (!pair)
        windows.set(
          resource,
          (pair = [new FixedWindow(limits.perSecond, 1_000), new FixedWindow(limits.per30s, 30_000)]),
        );
      const full = pair.filter((w) => !w.hasRoom(now));
      if (full.length === 0) {
        for (const w of pair) w.take(now);
        return {};
      }
      const refusal = envelope(429, 2029, 'RATE_LIMIT_ERROR', 'Too many requests. Please try again later.');
      // Our simulator's choice, off by default: Gameball documents no Retry-After (see GameballRateLimits).
      if (limits.retryAfter)
        refusal.headers = { 'retry-after': String(Math.max(...full.map((w) => w.retryAfterSeconds(now)))) };
      return { refusal };
    },
  };

  function toWire(b: SimBatch, statusOverride: string | undefined): Record<string, unknown> {
    const s = stateAt(b, clock.now());
    const status =
      statusOverride ??
      { queued: 'pending', running: 'processing', done: 'completed', failed: 'failed', cancelled: 'stopped' }[s.phase];
    const results: Record<string, unknown>[] = [];
    const errors: Record<string, unknown>[] = [];
    // Item lists are capped like a real API would page or truncate them.
    for (let i = 0; i < s.processed && results.length + errors.length < 50; i++) {
      const customerId = `cust-${b.index}-${i}`;
      if (isFailingItem(b, i))
        errors.push({
          customerId,
          message: i % 2 ? 'Duplicate transaction ID' : 'Customer not found',
          code: i % 2 ? 9004 : 7001,
        });
      else
        results.push({
          customerId,
          amount: (i % 9) + 1,
          points: ((i % 9) + 1) * 10,
          transactionId: `txn-${b.index}-${i}`,
        });
    }
    return {
      batchId: b.id,
      status,
      progress: b.total === 0 ? 100 : Math.round((s.processed / b.total) * 10000) / 100,
      totalItems: b.total,
      processedItems: s.processed,
      failedItems: s.phase === 'failed' ? b.total : s.failed,
      results,
      errors: s.phase === 'failed' ? [{ customerId: null, message: 'Batch payload rejected', code: 3003 }] : errors,
    };
  }

  return {
    ...(await startSimServer({
      port: o.port,
      host: o.host,
      clock,
      batches,
      secretMarker: o.secretMarker,
      quota,
      sync,
      errorBody: (status, message) =>
        status === 429
          ? { code: 2029, type: 'RATE_LIMIT_ERROR', message, requestId: 'req_ratelimited' }
          : { code: status === 503 ? 5003 : 5000, type: 'SERVER_ERROR', message, requestId: 'req_servererror' },
      created,
      routeOf: (method, path) => {
        const operation = method === 'POST' ? gameballOperationOf(path) : undefined;
        if (operation) return `POST /api/v4.0/integrations/batch/${operation}`;
        if (method === 'GET' && /^\/api\/v4\.0\/integrations\/batches\/[^/]+\/status$/.test(path))
          return 'GET /api/v4.0/integrations/batches/:batchId/status';
        if (method === 'POST' && /^\/api\/v4\.0\/integrations\/batches\/[^/]+\/stop$/.test(path))
          return 'POST /api/v4.0/integrations/batches/:batchId/stop';
        return undefined;
      },
      handle: (req, route) => {
        if (req.headers['apikey'] !== credentials.apiKey)
          return envelope(401, 1000, 'AUTHENTICATION_ERROR', 'Unauthorized access. Please authenticate to proceed.');
        if (req.headers['secretkey'] !== credentials.secretKey)
          return envelope(401, 1001, 'AUTHENTICATION_ERROR', 'Secret key is missing or invalid.');
        const operation = gameballOperationOf(req.path);
        if (operation && req.method === 'POST') {
          const answer = writes.create(req, operation);
          for (const b of batches.slice(byId.size)) byId.set(b.id, b);
          return answer;
        }
        const id = decodeURIComponent(req.path.split('/')[5] ?? '');
        const b = byId.get(id);
        if (!b) return envelope(404, 4004, 'GENERAL_ERROR', 'Resource not found.');
        if (route.startsWith('POST')) {
          const s = stateAt(b, clock.now());
          if (s.phase === 'queued' || s.phase === 'running') b.cancelledAt = clock.now();
          const after = toWire(b, req.statusOverride);
          return {
            status: 200,
            body: {
              batchId: b.id,
              status: after.status,
              message: s.phase === 'queued' || s.phase === 'running' ? 'Batch stopped' : 'Batch already finished',
            },
          };
        }
        return { status: 200, body: toWire(b, req.statusOverride) };
      },
    })),
    credentials,
  };
}
