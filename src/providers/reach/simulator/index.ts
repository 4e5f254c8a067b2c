import { createSystemClock, createRandom, type SimClock } from '../../../dev/simulators/clock.js';
import { signHs256, verifyHs256 } from '../../../dev/simulators/jwt.js';
import {
  generateBatches,
  isFailingItem,
  stateAt,
  type DataSetOptions,
  type SimBatch,
} from '../../../dev/simulators/model.js';
import { createRolling, type RollingOptions } from '../../../dev/simulators/rolling.js';
import {
  iso,
  startSimServer,
  type CreatedBatch,
  type SimRequest,
  type SimResponse,
  type Simulator,
} from '../../../dev/simulators/server.js';
import { createReachWrites } from './writes.js';

/** Reach simulator credentials: the JWT secret, and the tenant a partner token impersonates. */
export interface ReachSimCredentials {
  jwtSecret: string;
  tenantId: string;
  /** A partner-scoped JWT signed with `jwtSecret`, valid for ten years. */
  token: string;
}

/** Options of the Reach simulator. */
export interface ReachSimulatorOptions extends DataSetOptions {
  clock?: SimClock;
  seed?: number;
  /** @default 300 */
  batchCount?: number;
  port?: number;
  /** Address to listen on. @default 127.0.0.1 */
  host?: string;
  secretMarker?: string;
  jwtSecret?: string;
  /**
   * Rolling batches beside the seeded ones (which stay as they are), one a period for ever (`createRolling`),
   * all the default tenant's, so batches are queued, running and finished at any time. @default none
   */
  rolling?: RollingOptions | undefined;
}

const TYPES = [
  'PARTNER_RESOURCE_JSON_INGEST',
  'PARTNER_RESOURCE_BATCH_DELETE',
  'PARTNER_RESOURCE_BATCH_PATCH',
] as const;
const SCHEMAS = [
  { name: 'contacts', id: 'sd_contacts01' },
  { name: 'transactions', id: 'sd_transact01' },
  { name: 'locations', id: 'sd_location01' },
];
const CATEGORIES = ['validation', 'reference', 'duplicate'];
/** Tenants of the data set: most batches belong to the first. */
const REACH_TENANTS = ['tenant-a', 'tenant-b'] as const;

/** Mints a Reach JWT for tests and the demo (partner-scoped by default). */
function signReachToken(
  secret: string,
  claims: Record<string, unknown> = { partnerId: 'partner-sim', type: 'partner' },
  nowMs = Date.now(),
): string {
  return signHs256(
    { iat: Math.floor(nowMs / 1000), exp: Math.floor(nowMs / 1000) + 10 * 365 * 86_400, ...claims },
    secret,
  );
}

/**
 * Starts a Reach simulator: resource writes (`reach-writes.ts`), `GET /api/batches/{batchId}` and
 * `GET /api/batches` (cursor paging,
 * batchType, sortBy, sortDirection, includePendingDetails, onlyBatchesWithPendingResources),
 * HS256 JWT auth with `reach-tenant-id` for partner tokens, `{success:false,message}` errors.
 */
export async function createReachSimulator(
  o: ReachSimulatorOptions = {},
): Promise<Simulator & { credentials: ReachSimCredentials }> {
  const clock = o.clock ?? createSystemClock();
  const secret = o.jwtSecret ?? 'sim-reach-secret';
  const batches = generateBatches({
    seed: o.seed ?? 1,
    count: o.batchCount ?? 300,
    now: clock.now(),
    pendingShare: 0.1,
    makeId: (r) => `rb_${r.hex(16)}`,
    profile: o.profile,
    durationMs: o.durationMs,
  });
  const rand = createRandom((o.seed ?? 1) + 17);
  for (const b of batches) {
    // Reach has no cancel endpoint: its "cancelled" slots become batch-level failures.
    if (b.outcome === 'cancelled') ((b.outcome = 'failedValidation'), (b.cancelledAt = null));
    const schema = rand.pick(SCHEMAS);
    b.extra = {
      type: TYPES[b.index % 3],
      schema,
      tenant: b.index % 5 === 4 ? REACH_TENANTS[1] : REACH_TENANTS[0],
      waitSeconds: 0,
    };
  }
  const rolling =
    o.rolling &&
    createRolling(batches, clock.now(), o.rolling, {
      phase: 0,
      salt: 0x4eac,
      maxItems: 400,
      makeId: (r) => `rb_${r.hex(16)}`,
      extra: (r, slot) => ({
        type: TYPES[slot % 3],
        schema: r.pick(SCHEMAS),
        tenant: REACH_TENANTS[0],
        waitSeconds: 0,
      }),
    });
  const byId = new Map(batches.map((b) => [b.id, b]));
  /** The rolling batches the clock has reached, and every batch (a write's too) in `byId`. */
  const sync = () => {
    rolling?.catchUp(clock.now());
    for (const b of batches.slice(byId.size)) byId.set(b.id, b);
  };

  const error = (status: number, message: string, errors?: string[]): SimResponse => ({
    status,
    body: { success: false, message, ...(errors ? { errors } : {}) },
  });

  const created: CreatedBatch[] = [];
  const writes = createReachWrites({ clock, batches, error, created });

  function tenantOf(req: SimRequest): string | SimResponse {
    const auth = req.headers['authorization'] ?? '';
    const claims = auth.startsWith('Bearer ') ? verifyHs256(auth.slice(7), secret, clock.now()) : null;
    if (!claims) return error(401, 'Unauthorized: invalid or expired token');
    if (typeof claims.tenantExternalId === 'string') return claims.tenantExternalId;
    const header = req.headers['reach-tenant-id'];
    if (!header)
      return error(400, 'reach-tenant-id header is required with a platform scoped token', [
        'reach-tenant-id is required',
      ]);
    return header;
  }

  function toWire(b: SimBatch, withPending: boolean, statusOverride: string | undefined): Record<string, unknown> {
    const s = stateAt(b, clock.now());
    const schema = b.extra.schema as { name: string; id: string };
    const status =
      statusOverride ??
      (s.phase === 'failed'
        ? 'failure'
        : s.phase === 'done' || s.phase === 'cancelled'
          ? s.failed > 0
            ? 'partial_success'
            : 'success'
          : 'processing');
    const summary: Record<string, number> = {};
    const details: Record<string, { errors: string[]; categories: string[] }> = {};
    for (let i = 0, shown = 0; i < s.processed && shown < 20; i++) {
      if (!isFailingItem(b, i)) continue;
      const category = CATEGORIES[i % CATEGORIES.length]!;
      summary[category] = (summary[category] ?? 0) + 1;
      details[`ext-${b.index}-${i}`] = { errors: [`${category} error on record ${i}`], categories: [category] };
      shown++;
    }
    const wire: Record<string, unknown> = {
      batchId: b.id,
      status,
      batchType: b.extra.type,
      progress: {
        totalRecords: b.total,
        processedRecords: s.processed,
        successfulRecords: s.succeeded,
        pendingRecords: s.pending,
        failedRecords: s.failed,
        successRate: s.processed === 0 ? 0 : Math.round((s.succeeded / s.processed) * 10000) / 100,
      },
      createdAt: iso(b.createdAt),
      schemaName: schema.name,
      schemaDefinitionId: schema.id,
    };
    // The spec does not mark these nullable: a batch that has not started or finished leaves them out.
    if (s.startedAt !== null) wire.startedAt = iso(s.startedAt);
    if (s.completedAt !== null) wire.completedAt = iso(s.completedAt);
    if (s.phase === 'failed')
      wire.errors = {
        summary: { validation: b.total },
        details: {},
        message: 'Batch failed: the payload did not match the schema definition',
      };
    else if (s.failed > 0) wire.errors = { summary, details };
    if (withPending) {
      wire.pendingResources = Array.from({ length: s.pending }, (_, i) => ({
        id: `pr_${b.index}_${i}`,
        resourceExternalId: `ext-${b.index}-p${i}`,
        schemaDefinitionId: schema.id,
        schemaName: schema.name,
        missingDependencies: [
          { schemaDefinitionId: 'sd_contacts01', schemaName: 'contacts', externalId: `contact-${b.index}-${i}` },
        ],
        expiresAt: iso(b.pendingExpiresAt),
        createdAt: iso(b.createdAt + 1_000),
      }));
    }
    return wire;
  }

  function list(req: SimRequest, tenant: string): SimResponse {
    const q = req.query;
    const limit = q.limit === undefined || q.limit === '' ? 20 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      return error(400, 'Invalid limit', ['limit must be an integer from 1 to 100']);
    const sortBy = q.sortBy ?? 'createdAt';
    const direction = q.sortDirection ?? 'desc';
    if (!['createdAt', 'startedAt', 'completedAt'].includes(sortBy)) return error(400, 'Invalid sortBy');
    if (!['asc', 'desc'].includes(direction)) return error(400, 'Invalid sortDirection');
    if (q.batchType !== undefined && !(TYPES as readonly string[]).includes(q.batchType))
      return error(400, 'Invalid batchType');
    const now = clock.now();
    const key = (b: SimBatch): number | null => {
      const s = stateAt(b, now);
      return sortBy === 'createdAt' ? b.createdAt : sortBy === 'startedAt' ? s.startedAt : s.completedAt;
    };
    const rows = batches
      .filter((b) => b.extra.tenant === tenant)
      .filter((b) => q.batchType === undefined || b.extra.type === q.batchType)
      .filter((b) => q.onlyBatchesWithPendingResources !== 'true' || stateAt(b, now).pending > 0)
      .map((b) => ({ b, k: key(b) }));
    // Nulls last in both directions; ties broken by batchId ascending.
    const cmp = (x: { b: SimBatch; k: number | null }, y: { b: SimBatch; k: number | null }) => {
      if (x.k === null || y.k === null) return x.k === y.k ? x.b.id.localeCompare(y.b.id) : x.k === null ? 1 : -1;
      if (x.k !== y.k) return direction === 'asc' ? x.k - y.k : y.k - x.k;
      return x.b.id.localeCompare(y.b.id);
    };
    rows.sort(cmp);
    let start = 0;
    if (q.cursor) {
      // Keyset cursor: the sort key and id of the last row served, so paging is stable while time moves.
      let after: { k: number | null; id: string };
      try {
        after = JSON.parse(Buffer.from(q.cursor, 'base64url').toString('utf8')) as { k: number | null; id: string };
        if (typeof after.id !== 'string') throw new Error('bad');
      } catch {
        return error(400, 'Invalid cursor');
      }
      const marker = { b: { id: after.id } as SimBatch, k: after.k };
      start = rows.findIndex((r) => cmp(r, marker) > 0);
      if (start < 0) start = rows.length;
    }
    const page = rows.slice(start, start + limit);
    const hasNextPage = start + limit < rows.length;
    const last = page[page.length - 1];
    return {
      status: 200,
      body: {
        success: true,
        message: 'Batches retrieved',
        data: {
          results: page.map((r) => toWire(r.b, q.includePendingDetails === 'true', req.statusOverride)),
          pagination: {
            hasNextPage,
            cursor:
              hasNextPage && last
                ? Buffer.from(JSON.stringify({ k: last.k, id: last.b.id })).toString('base64url')
                : null,
            total: rows.length,
          },
        },
      },
    };
  }

  const sim = await startSimServer({
    port: o.port,
    host: o.host,
    clock,
    batches,
    secretMarker: o.secretMarker,
    errorBody: (_status, message) => ({ success: false, message }),
    created,
    sync,
    routeOf: (method, path) => {
      if (['POST', 'PATCH', 'DELETE'].includes(method) && /^\/api\/resources\/[^/]+\/batch$/.test(path))
        return `${method} /api/resources/:schema/batch`;
      if (method !== 'GET') return undefined;
      if (path === '/api/batches') return 'GET /api/batches';
      if (/^\/api\/batches\/[^/]+$/.test(path)) return 'GET /api/batches/:batchId';
      return undefined;
    },
    handle: (req, route) => {
      const tenant = tenantOf(req);
      if (typeof tenant !== 'string') return tenant;
      if (route === 'GET /api/batches') return list(req, tenant);
      if (!route.startsWith('GET')) {
        const answer = writes.write(req, tenant);
        for (const b of batches.slice(byId.size)) byId.set(b.id, b);
        return answer;
      }
      const id = decodeURIComponent(req.path.slice('/api/batches/'.length));
      const b = byId.get(id);
      // Another tenant's batch is indistinguishable from a missing one.
      if (!b || b.extra.tenant !== tenant) return error(404, 'Batch not found');
      return {
        status: 200,
        body: {
          success: true,
          message: 'Batch status retrieved',
          data: toWire(b, req.query.includePendingDetails === 'true', req.statusOverride),
        },
      };
    },
  });
  const idsByState = sim.control.idsByState;
  // Tests and the demo use the default tenant's ids.
  sim.control.idsByState = () => {
    const byState = idsByState(); // first: it brings the rolling batches up to the clock
    const tenantBatches = new Set(batches.filter((b) => b.extra.tenant === REACH_TENANTS[0]).map((b) => b.id));
    return Object.fromEntries(
      Object.entries(byState).map(([k, ids]) => [k, ids.filter((id) => tenantBatches.has(id))]),
    );
  };
  return {
    ...sim,
    credentials: {
      jwtSecret: secret,
      tenantId: REACH_TENANTS[0],
      token: signReachToken(secret, undefined, clock.now()),
    },
  };
}
