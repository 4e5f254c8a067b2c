import { FINISHED_STATUSES, percentOf } from '../../domain/batch.js';
import { type ReachBatch, type ReachBatchType, type ReachPendingResource } from './model.js';
import {
  obj,
  optArr,
  optBool,
  optDate,
  optNum,
  optObj,
  optStr,
  str,
  strArr,
  WireShapeError,
  type WireObject,
} from '../../upstream/wire.js';
import { fromReachStatus } from './status.js';
import type {
  ReachGetBatchResponse,
  ReachListResponse,
  ReachWireBatch,
  ReachWireMissingDependency,
  ReachWirePendingResource,
  ReachWireRecordError,
} from './types.js';

const BATCH_TYPES: ReadonlySet<string> = new Set<ReachBatchType>([
  'PARTNER_RESOURCE_JSON_INGEST',
  'PARTNER_RESOURCE_BATCH_DELETE',
  'PARTNER_RESOURCE_BATCH_PATCH',
]);

/** Unwraps Reach's `{success, message, data}` envelope of a get-batch response. */
export function fromReachEnvelope(body: unknown): WireObject<ReachWireBatch> {
  const envelope = obj<ReachGetBatchResponse>(body, '$');
  const data = optObj(envelope, 'data');
  if (data === null) throw new WireShapeError('$.data', 'an object');
  return data;
}

/**
 * Maps one Reach wire batch to the domain model. Fields that the older rendering of Reach's
 * docs lacks (pendingRecords, startedAt, createdAt, schemaName, schemaDefinitionId,
 * pendingResources) are optional here; required ones (batchId, status, batchType, progress)
 * are checked.
 */
export function toReachBatch(o: WireObject<ReachWireBatch>): ReachBatch {
  const providerStatus = str(o, 'status');
  const batchTypeRaw = str(o, 'batchType');
  const progress = optObj(o, 'progress');
  if (progress === null) throw new WireShapeError(`${o.path}.progress`, 'an object');
  const total = optNum(progress, 'totalRecords');
  const processed = optNum(progress, 'processedRecords') ?? 0;
  const succeeded = optNum(progress, 'successfulRecords');
  const failed = optNum(progress, 'failedRecords') ?? 0;
  const pendingRecords = optNum(progress, 'pendingRecords');
  const status = fromReachStatus(providerStatus);

  const errors = optObj(o, 'errors');
  const summary = errors ? optObj(errors, 'summary') : null;
  const details = errors ? optObj(errors, 'details') : null;
  const pendingRaw = optArr(o, 'pendingResources');
  const pendingResources =
    pendingRaw?.map((item, i) => toPendingResource(obj(item, `${o.path}.pendingResources[${i}]`))) ?? null;
  const expiries = (pendingResources ?? []).map((r) => r.expiresAt?.getTime() ?? 0).filter((t) => t > 0);

  return {
    provider: 'REACH',
    providerBatchId: str(o, 'batchId'),
    status,
    providerStatus,
    // As docs/providers.md assumes, a finished batch with pending records can still change.
    isTerminal: FINISHED_STATUSES.has(status) && (pendingRecords ?? 0) === 0,
    progress: {
      total,
      processed,
      succeeded,
      failed,
      // Not finished = waiting to be processed + stored as pending (those count as processed).
      pending: total === null ? (pendingRecords ?? 0) : Math.max(0, total - processed) + (pendingRecords ?? 0),
      percent: percentOf(processed, total),
    },
    createdAt: optDate(o, 'createdAt'),
    startedAt: optDate(o, 'startedAt'),
    completedAt: optDate(o, 'completedAt'),
    errorMessage: errors ? optStr(errors, 'message') : null,
    observedAt: new Date(),
    batchType: BATCH_TYPES.has(batchTypeRaw) ? (batchTypeRaw as ReachBatchType) : null,
    batchTypeRaw,
    schemaName: optStr(o, 'schemaName'),
    schemaDefinitionId: optStr(o, 'schemaDefinitionId'),
    successRate: optNum(progress, 'successRate'),
    pendingRecords,
    errorSummary: summary
      ? Object.keys(summary.value).map((category) => ({
          category,
          count: optNum(summary as WireObject<Record<string, number>>, category) ?? 0,
        }))
      : [],
    recordErrors: details
      ? Object.keys(details.value).map((externalId) => {
          const detail = obj<ReachWireRecordError>(details.value[externalId], `${details.path}.${externalId}`);
          return { externalId, errors: strArr(detail, 'errors'), categories: strArr(detail, 'categories') };
        })
      : [],
    pendingResources,
    pendingExpiresAt: expiries.length > 0 ? new Date(Math.max(...expiries)) : null,
  };
}

function toPendingResource(r: WireObject<ReachWirePendingResource>): ReachPendingResource {
  return {
    id: str(r, 'id'),
    resourceExternalId: str(r, 'resourceExternalId'),
    schemaDefinitionId: str(r, 'schemaDefinitionId'),
    schemaName: optStr(r, 'schemaName'),
    missingDependencies: (optArr(r, 'missingDependencies') ?? []).map((d, i) => {
      const dep = obj<ReachWireMissingDependency>(d, `${r.path}.missingDependencies[${i}]`);
      return {
        schemaDefinitionId: str(dep, 'schemaDefinitionId'),
        schemaName: optStr(dep, 'schemaName'),
        externalId: str(dep, 'externalId'),
      };
    }),
    expiresAt: optDate(r, 'expiresAt'),
    createdAt: optDate(r, 'createdAt'),
  };
}

/** One page of `GET /api/batches`, unwrapped and checked. */
export interface ReachListPageWire {
  results: WireObject<ReachWireBatch>[];
  hasNextPage: boolean;
  cursor: string | null;
  total: number | null;
}

/** Unwraps Reach's list envelope; a page that says it has a next page must carry a cursor. */
export function fromReachListEnvelope(body: unknown): ReachListPageWire {
  const envelope = obj<ReachListResponse>(body, '$');
  const data = optObj(envelope, 'data');
  if (data === null) throw new WireShapeError('$.data', 'an object');
  const results = optArr(data, 'results');
  if (results === null) throw new WireShapeError('$.data.results', 'an array');
  const pagination = optObj(data, 'pagination');
  if (pagination === null) throw new WireShapeError('$.data.pagination', 'an object');
  const hasNextPage = optBool(pagination, 'hasNextPage');
  if (hasNextPage === null) throw new WireShapeError('$.data.pagination.hasNextPage', 'a boolean');
  const cursor = optStr(pagination, 'cursor');
  if (hasNextPage && !cursor) throw new WireShapeError('$.data.pagination.cursor', 'a cursor when hasNextPage is true');
  return {
    results: results.map((r, i) => obj<ReachWireBatch>(r, `$.data.results[${i}]`)),
    hasNextPage,
    cursor,
    total: optNum(pagination, 'total'),
  };
}
