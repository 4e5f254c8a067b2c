import { randomBytes } from 'node:crypto';
import type { SimClock } from '../../../dev/simulators/clock.js';
import { createdBatch, type SimBatch } from '../../../dev/simulators/model.js';
import type { CreatedBatch, SimRequest, SimResponse } from '../../../dev/simulators/server.js';

/** Resources per POST or PATCH (documented), and external ids per DELETE (not documented: batchql assumes the same). */
const REACH_MAX_RESOURCES = 1_000;

const TYPE_OF = {
  POST: 'PARTNER_RESOURCE_JSON_INGEST',
  PATCH: 'PARTNER_RESOURCE_BATCH_PATCH',
  DELETE: 'PARTNER_RESOURCE_BATCH_DELETE',
} as const;

type ErrorFn = (status: number, message: string, errors?: string[]) => SimResponse;

/**
 * Reach's resource writes on the simulator: `POST`/`PATCH`/`DELETE /api/resources/{schema}/batch`
 * (`transactions` and `locations` are schemas like any other here), validated as documented (400
 * `{success:false, message, errors[]}`), answering 202 with `data.batchId`; a `dryRun` DELETE
 * answers 200 with a preview (its shape is the simulator's own: Reach does not document it) and
 * queues nothing. The batch belongs to the caller's tenant.
 */
export function createReachWrites(o: {
  clock: SimClock;
  batches: SimBatch[];
  error: ErrorFn;
  created: CreatedBatch[];
}) {
  function options(req: SimRequest): string[] {
    const errors: string[] = [];
    const q = req.query;
    if (q.onconflict !== undefined && !['upsert', 'reject'].includes(q.onconflict))
      errors.push('onconflict must be upsert or reject');
    if (q.ignoreUnknownFields !== undefined && !['true', 'false'].includes(q.ignoreUnknownFields))
      errors.push('ignoreUnknownFields must be true or false');
    if (q.dependencyWaitTimeout !== undefined) {
      const n = Number(q.dependencyWaitTimeout);
      if (req.method !== 'POST' || !/^\d+$/.test(q.dependencyWaitTimeout) || n > 86_400)
        errors.push('dependencyWaitTimeout must be an integer from 0 to 86400 (POST only)');
    }
    return errors;
  }

  function write(req: SimRequest, tenant: string): SimResponse {
    const method = req.method as keyof typeof TYPE_OF;
    const schema = decodeURIComponent(req.path.split('/')[3] ?? '');
    const body = (req.body ?? {}) as Record<string, unknown>;
    const errors = options(req);
    let count = 0;
    if (method === 'DELETE') {
      const ids = body.externalIds;
      const all = body.deleteAll === true;
      for (const flag of ['cascade', 'deleteAll', 'dryRun'])
        if (body[flag] !== undefined && typeof body[flag] !== 'boolean') errors.push(`${flag} must be a boolean`);
      if (ids !== undefined && (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string' || id === '')))
        errors.push('externalIds must be an array of non-empty strings');
      else if (!all && (!Array.isArray(ids) || ids.length === 0))
        errors.push('externalIds must not be empty unless deleteAll is true');
      else if (Array.isArray(ids) && ids.length > REACH_MAX_RESOURCES)
        errors.push(`at most ${REACH_MAX_RESOURCES} externalIds per batch`);
      count = all ? 25 : Array.isArray(ids) ? ids.length : 0;
    } else {
      const resources = body.resources;
      if (!Array.isArray(resources) || resources.length === 0) errors.push('resources must be a non-empty array');
      else if (resources.length > REACH_MAX_RESOURCES)
        errors.push(`at most ${REACH_MAX_RESOURCES} resources per batch`);
      else
        resources.forEach((r, i) => {
          if (r === null || typeof r !== 'object' || Array.isArray(r)) errors.push(`resources[${i}] must be an object`);
        });
      count = Array.isArray(resources) ? resources.length : 0;
    }
    if (errors.length > 0) return o.error(400, 'Validation failed', errors);
    const schemaDef = { name: schema, id: `sd_${schema.replace(/[^A-Za-z0-9]/g, '').slice(0, 12)}` };
    if (method === 'DELETE' && body.dryRun === true)
      return {
        status: 200,
        body: {
          success: true,
          message: 'Dry run: nothing was deleted',
          data: { dryRun: true, counts: { [schema]: count }, skippedDueToReferences: { [schema]: 0 } },
        },
      };
    const now = o.clock.now();
    const id = `rb_${randomBytes(8).toString('hex')}`;
    const type = TYPE_OF[method];
    o.batches.push(createdBatch(id, o.batches.length, now, count, { type, schema: schemaDef, tenant, waitSeconds: 0 }));
    o.created.push({
      id,
      route: `${method} /api/resources/:schema/batch`,
      count,
      at: now,
      detail: { schema, tenant, batchType: type, query: req.query, body: method === 'DELETE' ? body : undefined },
    });
    return {
      status: 202,
      body: {
        success: true,
        message: 'Batch queued for processing',
        data: { batchId: id, message: 'Batch queued', recordCount: count, schemaDefinitionId: schemaDef.id },
      },
    };
  }

  return { write };
}
