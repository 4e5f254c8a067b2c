import { createRandom, createSystemClock, type SimClock } from '../../../dev/simulators/clock.js';
import {
  generateBatches,
  isFailingItem,
  showcaseBatch,
  stateAt,
  timeOfProgress,
  type DataSetOptions,
  type ShowcaseOptions,
  type SimBatch,
} from '../../../dev/simulators/model.js';
import { FixedWindow } from '../../../dev/simulators/quota.js';
import { createRolling, type RollingOptions } from '../../../dev/simulators/rolling.js';
import { createFactCheckWebhooks, type FactCheckWebhooks, type WebhookTarget } from './webhooks.js';
import {
  iso,
  startSimServer,
  type CreatedBatch,
  type SimQuota,
  type SimRequest,
  type SimResponse,
  type Simulator,
} from '../../../dev/simulators/server.js';
import { createFactCheckWrites } from './writes.js';
import { FACT_CHECK_SIM_PLANS, type FactCheckPlan } from './plans.js';
import { FACTCHECK_DECISION_DEFAULTS } from '../plans.js';

/** Check simulator credentials (`Authorization: Bearer vfy_...`). */
export interface FactCheckSimCredentials {
  apiKey: string;
}

export { FACT_CHECK_SIM_PLANS, type FactCheckPlan } from './plans.js';

/** Options of the Check simulator. */
export interface FactCheckSimulatorOptions extends DataSetOptions {
  clock?: SimClock;
  seed?: number;
  /** @default 300 */
  batchCount?: number;
  port?: number;
  /** Address to listen on. @default 127.0.0.1 */
  host?: string;
  secretMarker?: string;
  credentials?: FactCheckSimCredentials;
  /**
   * The organisation's plan, which sets the per-minute limit and the writes' limits (`FACT_CHECK_SIM_PLANS`).
   * @default 'unlimited' (1,000,000 a minute, so tests and benches are not throttled unless they ask)
   */
  plan?: FactCheckPlan;
  /**
   * Requests per minute per organisation; overrides `plan`. The window is a fixed minute of the
   * clock (:00 to :59). Every request counts, whatever its route, credentials or answer (an injected
   * fault included), except one the limit refuses; past the limit the simulator answers 429
   * `rate_limited` with `Retry-After` and `error.retryAfter` (whole seconds to the window's end, at
   * least 1) until the window resets, as documented. Every response carries `X-RateLimit-Limit`,
   * `X-RateLimit-Remaining` (after this request; 0 on a 429) and `X-RateLimit-Reset` (the window's
   * end, Unix seconds).
   */
  rateLimitPerMinute?: number;
  /**
   * The length of that window (ms), still aligned to the clock; tests shorten it so several
   * windows pass in seconds. `rateLimitPerMinute` is then the limit per window. @default 60000
   */
  rateLimitWindowMs?: number;
  /**
   * One more batch, `FACT_CHECK_SHOWCASE_ID`, after the seeded ones (which stay as they are): newer
   * than any of them, 1,000 items, queued until `startInMs`, then running for `durationMs`, all succeeding.
   * The docs' live examples follow it. @default none
   */
  showcase?: ShowcaseOptions;
  /**
   * Rolling batches beside the seeded ones (which stay as they are), one a period for ever (`createRolling`),
   * so batches are queued, running and finished at any time. @default none
   */
  rolling?: RollingOptions | undefined;
  /**
   * Where to send signed `batch.completed`/`batch.failed` events when batches finish in the clock
   * (also settable later: `webhooks.configure`, `POST /__sim/webhooks`). @default none
   */
  webhook?: WebhookTarget | undefined;
  /** How often finished batches are looked for (they are on every API request too). @default 250 */
  webhookCheckMs?: number | undefined;
  /**
   * Batches expire as batchql assumes (docs/providers.md; Check does not document it): a finished batch's
   * `expiresAt` is its `completedAt + ttlMs`, and from then on it is gone, as an unknown id: its read and its
   * results answer 404 `not_found`, and list pages leave it out (their `total` too). Also settable later:
   * `POST /__sim/expiry {ttlMs}` (`{ttlMs: null}` or `DELETE /__sim/expiry` turns it off).
   * @default off: `expiresAt` is `createdAt` + 30 days once finished, and nothing expires
   */
  expiry?: FactCheckExpiry | undefined;
}

/** The Check simulator's expiry mode (`FactCheckSimulatorOptions.expiry`). */
export interface FactCheckExpiry {
  /** How long a finished batch stays readable after its `completedAt` (ms, simulator clock). */
  ttlMs: number;
}

/** The id of the showcase batch (`FactCheckSimulatorOptions.showcase`). */
export const FACT_CHECK_SHOWCASE_ID = 'batch_5e1ec7ed0001';

const METHODS = [{ reasoning: 1, tool: 0.5 }, { semantic: 1 }, { reasoning: 1, ensemble: 0.8, entropy: 0.3 }];
const NAMES = ['Daily fact check', 'Article verification', 'Claims review', 'Newsletter audit'];
const DAY = 86_400_000;

/** Check's decision for an item's confidence, at the documented default thresholds. */
const decisionOf = (confidence: number) =>
  confidence >= FACTCHECK_DECISION_DEFAULTS.acceptThreshold
    ? 'accept'
    : confidence >= FACTCHECK_DECISION_DEFAULTS.escalateThreshold
      ? 'escalate'
      : 'reject';

/**
 * Starts a Check simulator: `POST /v1/batch` and `POST /v1/batch/upload` (`factcheck-writes.ts`),
 * `GET /v1/batch` (limit/offset/status, createdAt desc),
 * `GET /v1/batch/{id}`, `GET /v1/batch/{id}/results` (limit/offset by itemIndex) and
 * `POST /v1/batch/{id}/cancel`, Bearer `vfy_` auth, the nested `{error:{...}}` envelope and
 * `X-RateLimit-*` headers on every response.
 */
export async function createFactCheckSimulator(
  o: FactCheckSimulatorOptions = {},
): Promise<Simulator & { credentials: FactCheckSimCredentials; webhooks: FactCheckWebhooks }> {
  const clock = o.clock ?? createSystemClock();
  const credentials = o.credentials ?? { apiKey: 'vfy_sim_factcheck_key' };
  const rateLimit = o.rateLimitPerMinute ?? FACT_CHECK_SIM_PLANS[o.plan ?? 'unlimited']?.requestsPerMinute;
  if (rateLimit === undefined) throw new RangeError(`unknown Check plan: ${String(o.plan)}`);
  const batches = generateBatches({
    seed: (o.seed ?? 1) + 2,
    count: o.batchCount ?? 300,
    now: clock.now(),
    makeId: (r) => `batch_${r.hex(12)}`,
    maxItems: 1000,
    profile: o.profile,
    durationMs: o.durationMs,
  });
  const rand = createRandom((o.seed ?? 1) + 29);
  for (const b of batches) {
    b.extra = {
      name: b.index % 7 === 6 ? null : `${rand.pick(NAMES)} #${b.index}`,
      format: b.index % 3 === 0 ? 'csv' : 'json',
      methods: rand.pick(METHODS),
      context: b.index % 2 === 0 ? { source: 'news-aggregator' } : null,
    };
  }
  if (o.showcase) {
    if (batches.some((b) => b.id === FACT_CHECK_SHOWCASE_ID)) throw new Error('showcase id taken by a seeded batch');
    const b = showcaseBatch(FACT_CHECK_SHOWCASE_ID, batches.length, clock.now(), 1_000, o.showcase);
    b.extra = { name: 'Live demo: watch me', format: 'json', methods: METHODS[0], context: null };
    batches.push(b);
  }
  const rolling =
    o.rolling &&
    createRolling(batches, clock.now(), o.rolling, {
      phase: 2 / 3,
      salt: 0xc4ec,
      maxItems: 1000,
      makeId: (r) => `batch_${r.hex(12)}`,
      extra: (r, slot) => ({
        name: `${r.pick(NAMES)} #${slot % 10_000}`,
        format: slot % 3 === 0 ? 'csv' : 'json',
        methods: r.pick(METHODS),
        context: null,
      }),
    });
  const byId = new Map(batches.map((b) => [b.id, b]));
  /** The rolling batches the clock has reached, and every batch (a write's too) in `byId`. */
  const sync = () => {
    rolling?.catchUp(clock.now());
    for (const b of batches.slice(byId.size)) byId.set(b.id, b);
  };
  let requestSeq = 0;
  let expiry = o.expiry;
  /** When a batch stops being kept (epoch ms), or null while it is unfinished. */
  const expiresAtOf = (b: SimBatch, completedAt: number | null) =>
    completedAt === null ? null : expiry ? completedAt + expiry.ttlMs : b.createdAt + 30 * DAY;
  /** Whether the expiry mode is on and has removed `b` by now (from its `expiresAt` on). */
  const expired = (b: SimBatch) => {
    if (!expiry) return false;
    const at = expiresAtOf(b, stateAt(b, clock.now()).completedAt);
    return at !== null && at <= clock.now();
  };
  const minute = new FixedWindow(rateLimit, o.rateLimitWindowMs ?? 60_000);

  const error = (status: number, code: string, message: string, extra: Record<string, unknown> = {}): SimResponse => ({
    status,
    body: { error: { code, message, requestId: `req_${(++requestSeq).toString(16).padStart(12, '0')}`, ...extra } },
  });

  function statusWord(b: SimBatch, override: string | undefined): string {
    if (override) return override;
    return { queued: 'pending', running: 'processing', done: 'completed', failed: 'failed', cancelled: 'cancelled' }[
      stateAt(b, clock.now()).phase
    ];
  }

  /** Cost grows with completed items; tokens likewise. */
  function usage(b: SimBatch, succeeded: number, failed: number) {
    const completed = succeeded + failed;
    return { cost: completed * 5, input: completed * 250, output: completed * 174 };
  }

  function summary(b: SimBatch, override: string | undefined): Record<string, unknown> {
    const s = stateAt(b, clock.now());
    const validation = b.outcome === 'failedValidation' && s.phase === 'failed';
    const u = usage(b, s.succeeded, s.failed);
    return {
      id: b.id,
      name: b.extra.name,
      status: statusWord(b, override),
      totalItems: b.total,
      processedItems: validation ? 0 : s.processed,
      successCount: s.succeeded,
      failureCount: s.failed,
      totalCostCents: s.processed === 0 ? null : u.cost,
      createdAt: iso(b.createdAt),
      startedAt: iso(s.startedAt),
      completedAt: iso(s.completedAt),
    };
  }

  function detail(b: SimBatch, override: string | undefined): Record<string, unknown> {
    const s = stateAt(b, clock.now());
    const validation = b.outcome === 'failedValidation' && s.phase === 'failed';
    const rows = validation ? [1 + (b.index % 4), 5 + (b.index % 3), 8 + (b.index % 5)] : [];
    const u = usage(b, s.succeeded, s.failed);
    return {
      ...summary(b, override),
      inputFormat: b.extra.format,
      originalFileName:
        b.extra.fileName !== undefined ? b.extra.fileName : b.extra.format === 'csv' ? `claims-${b.index}.csv` : null,
      methodsConfig: b.extra.methods,
      context: b.extra.context,
      totalInputTokens: s.processed === 0 ? null : u.input,
      totalOutputTokens: s.processed === 0 ? null : u.output,
      errorMessage: validation ? `${rows.length} validation error(s)` : null,
      validationErrors: validation
        ? rows.map((row, i) => ({ row, error: i % 2 ? 'Content exceeds maximum length' : 'Content is required' }))
        : null,
      expiresAt: iso(expiresAtOf(b, s.completedAt)),
    };
  }

  function item(b: SimBatch, i: number): Record<string, unknown> {
    const s = stateAt(b, clock.now());
    const created = b.createdAt + 100;
    const done = i < s.processed;
    const failing = isFailingItem(b, i);
    const status = done
      ? failing
        ? 'failed'
        : 'completed'
      : s.phase === 'cancelled'
        ? 'skipped'
        : s.phase === 'running' && i < s.processed + 2
          ? 'processing'
          : 'queued';
    const completedAt = done
      ? Math.min(
          timeOfProgress(b, b.startAt + Math.floor(((i + 1) * b.durationMs) / b.total)),
          // A processed item was done by now (a paced batch's included).
          s.completedAt ?? clock.now(),
        )
      : null;
    const verdict = ['true', 'false', 'misleading', 'unverifiable'][(i * 31 + b.index) % 4]!;
    const confidence = done && !failing ? 0.4 + ((i * 37 + b.index) % 60) / 100 : null;
    return {
      id: `bi_${b.id.slice(6)}_${i}`,
      itemIndex: i,
      idempotencyKey: i % 4 === 0 ? `claim-${b.index}-${i}` : null,
      content: `Claim ${i} of batch ${b.index}: the figure reported is accurate.`,
      itemContext: i % 5 === 0 ? { url: `https://news.example/${b.index}/${i}` } : null,
      status,
      verificationId: done && !failing ? `ver_${b.index}_${i}` : null,
      verdict: done && !failing ? verdict : null,
      confidence,
      decision: confidence === null ? null : decisionOf(confidence),
      costCents: done ? 5 : null,
      processingTimeMs: done ? 800 + ((i * 53) % 2000) : null,
      errorMessage: done && failing ? 'LLM provider timeout' : null,
      retryCount: done ? (failing ? 3 : 0) : null,
      createdAt: iso(created),
      completedAt: iso(completedAt),
    };
  }

  function paging(req: SimRequest): { limit: number; offset: number } | SimResponse {
    const limit = req.query.limit === undefined ? 20 : Number(req.query.limit);
    const offset = req.query.offset === undefined ? 0 : Number(req.query.offset);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      return error(400, 'bad_request', 'limit must be an integer from 1 to 100', {
        details: [{ field: 'limit', message: 'must be 1-100' }],
      });
    if (!Number.isInteger(offset) || offset < 0)
      return error(400, 'bad_request', 'offset must be a non-negative integer', {
        details: [{ field: 'offset', message: 'must be >= 0' }],
      });
    return { limit, offset };
  }

  /** The per-organisation minute window (the simulator serves one organisation). */
  const quota: SimQuota = {
    admit: (_route, now) => {
      const admitted = minute.hasRoom(now);
      if (admitted) minute.take(now);
      const headers = {
        'x-ratelimit-limit': String(rateLimit),
        'x-ratelimit-remaining': String(minute.remaining(now)),
        'x-ratelimit-reset': String(Math.ceil(minute.resetAt(now) / 1000)),
      };
      if (admitted) return { headers };
      const retryAfter = minute.retryAfterSeconds(now);
      const limited = error(429, 'rate_limited', `Rate limit exceeded. Try again in ${retryAfter} seconds.`, {
        retryAfter,
      });
      return { headers, refusal: { ...limited, headers: { 'retry-after': String(retryAfter) } } };
    },
  };

  const created: CreatedBatch[] = [];
  const writes = createFactCheckWrites({ clock, batches, plan: o.plan ?? 'unlimited', error, created });

  const webhooks = createFactCheckWebhooks({
    clock,
    batches,
    detail: (b) => detail(b, undefined),
    target: o.webhook,
    checkEveryMs: o.webhookCheckMs,
    sync,
  });

  /** `POST /__sim/expiry {ttlMs}` turns the expiry mode on (`ttlMs: null` off); `DELETE /__sim/expiry` off. */
  function expiryControl(method: string, path: string, input: unknown): SimResponse | undefined {
    if (path !== '/__sim/expiry') return undefined;
    if (method === 'DELETE') return ((expiry = undefined), { status: 204, body: undefined });
    if (method !== 'POST') return undefined;
    const ttlMs = (input as { ttlMs?: unknown } | null)?.ttlMs;
    if (ttlMs === null) return ((expiry = undefined), { status: 204, body: undefined });
    if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs < 0)
      return { status: 400, body: { error: 'ttlMs must be a number of milliseconds >= 0, or null' } };
    expiry = { ttlMs };
    return { status: 204, body: undefined };
  }

  function handle(req: SimRequest, route: string): SimResponse {
    // Batches that finished since the last look are announced (when a receiver is configured).
    void webhooks.check();
    if (req.headers['authorization'] !== `Bearer ${credentials.apiKey}`) {
      return error(
        401,
        'unauthorized',
        "API key is required. Include it in the Authorization header as 'Bearer vfy_...'",
      );
    }
    if (route === 'POST /v1/batch') {
      const answer = writes.create(req);
      for (const b of batches.slice(byId.size)) byId.set(b.id, b);
      return answer;
    }
    if (route === 'POST /v1/batch/upload') return writes.upload(req);
    if (route === 'GET /v1/batch') {
      const page = paging(req);
      if ('status' in page) return page;
      const wanted = req.query.status;
      if (
        wanted !== undefined &&
        !['pending', 'validating', 'processing', 'completed', 'failed', 'cancelled'].includes(wanted)
      ) {
        return error(400, 'bad_request', 'Invalid status filter', {
          details: [{ field: 'status', message: 'unknown status' }],
        });
      }
      const rows = batches
        .filter((b) => !expired(b) && (wanted === undefined || statusWord(b, undefined) === wanted))
        .sort((x, y) => y.createdAt - x.createdAt || (x.id < y.id ? -1 : 1));
      return {
        status: 200,
        body: {
          data: rows.slice(page.offset, page.offset + page.limit).map((b) => summary(b, req.statusOverride)),
          pagination: {
            total: rows.length,
            limit: page.limit,
            offset: page.offset,
            hasMore: page.offset + page.limit < rows.length,
          },
        },
      };
    }
    const id = decodeURIComponent(req.path.split('/')[3] ?? '');
    const b = byId.get(id);
    // An expired batch is gone, exactly as an id Check never had (the expiry mode).
    if (!b || expired(b)) return error(404, 'not_found', 'Batch not found');
    if (route === 'GET /v1/batch/:id') return { status: 200, body: detail(b, req.statusOverride) };
    if (route === 'GET /v1/batch/:id/results') {
      const page = paging(req);
      if ('status' in page) return page;
      const s = summary(b, req.statusOverride);
      const total = b.outcome === 'failedValidation' ? 0 : b.total;
      const items = [];
      for (let i = page.offset; i < Math.min(total, page.offset + page.limit); i++) items.push(item(b, i));
      return {
        status: 200,
        body: {
          batch: {
            id: b.id,
            status: s.status,
            totalItems: s.totalItems,
            processedItems: s.processedItems,
            successCount: s.successCount,
            failureCount: s.failureCount,
          },
          items,
          pagination: { total, limit: page.limit, offset: page.offset, hasMore: page.offset + page.limit < total },
        },
      };
    }
    // POST /v1/batch/:id/cancel
    const phase = stateAt(b, clock.now()).phase;
    if (phase !== 'queued' && phase !== 'running') {
      return error(400, 'CANNOT_CANCEL', 'Cannot cancel batch. Batch not found or already completed/cancelled.');
    }
    b.cancelledAt = clock.now();
    return { status: 200, body: { id: b.id, status: 'cancelled', message: 'Batch cancelled successfully' } };
  }

  const server = await startSimServer({
    port: o.port,
    host: o.host,
    clock,
    batches,
    secretMarker: o.secretMarker,
    errorBody: (status, message, retryAfter) => {
      const code =
        {
          400: 'bad_request',
          404: 'not_found',
          413: 'payload_too_large',
          429: 'rate_limited',
          500: 'internal_error',
          502: 'bad_gateway',
          503: 'service_unavailable',
          504: 'gateway_timeout',
        }[status] ?? 'internal_error';
      return {
        error: {
          code,
          message,
          requestId: `req_${(++requestSeq).toString(16).padStart(12, '0')}`,
          ...(retryAfter !== undefined ? { retryAfter } : {}),
        },
      };
    },
    quota,
    routeOf: (method, path) => {
      if (method === 'GET' && path === '/v1/batch') return 'GET /v1/batch';
      if (method === 'POST' && path === '/v1/batch') return 'POST /v1/batch';
      if (method === 'POST' && path === '/v1/batch/upload') return 'POST /v1/batch/upload';
      if (method === 'GET' && /^\/v1\/batch\/[^/]+$/.test(path)) return 'GET /v1/batch/:id';
      if (method === 'GET' && /^\/v1\/batch\/[^/]+\/results$/.test(path)) return 'GET /v1/batch/:id/results';
      if (method === 'POST' && /^\/v1\/batch\/[^/]+\/cancel$/.test(path)) return 'POST /v1/batch/:id/cancel';
      return undefined;
    },
    handle,
    control: (method, path, input) =>
      expiryControl(method, path, input) ??
      writes.control(method, path, input) ??
      webhooks.control(method, path, input),
    created,
    sync,
  });
  return {
    ...server,
    close: async () => {
      webhooks.close();
      await server.close();
    },
    credentials,
    webhooks,
  };
}
