import { FINISHED_STATUSES, percentOf } from '../../domain/batch.js';
import { type FactCheckBatch, type FactCheckItem } from './model.js';
import {
  num,
  obj,
  optArr,
  optBool,
  optDate,
  optNum,
  optObj,
  optStr,
  str,
  WireShapeError,
  type WireObject,
} from '../../upstream/wire.js';
import { fromFactCheckStatus } from './status.js';
import { withoutMarker } from './marker.js';
import type { FactCheckWireBatch, FactCheckWireItem, FactCheckWireValidationError } from './types.js';

/**
 * Maps a Check batch (full object or list summary) to the domain model. Detail-only fields
 * are null when absent, which is how a list item maps.
 */
export function toFactCheckBatch(body: unknown, path = '$'): FactCheckBatch {
  const o = obj<FactCheckWireBatch>(body, path);
  const providerStatus = str(o, 'status');
  const total = num(o, 'totalItems');
  const processed = num(o, 'processedItems');
  const succeeded = num(o, 'successCount');
  const failed = num(o, 'failureCount');
  const status = fromFactCheckStatus(providerStatus, failed);
  const format = optStr(o, 'inputFormat')?.toUpperCase();
  const methods = optObj(o, 'methodsConfig');
  const context = optObj(o, 'context');
  return {
    provider: 'FACT_CHECK',
    providerBatchId: str(o, 'id'),
    status,
    providerStatus,
    isTerminal: FINISHED_STATUSES.has(status),
    progress: {
      total,
      processed,
      succeeded,
      failed,
      pending: Math.max(0, total - succeeded - failed),
      percent: percentOf(processed, total),
    },
    createdAt: optDate(o, 'createdAt'),
    startedAt: optDate(o, 'startedAt'),
    completedAt: optDate(o, 'completedAt'),
    errorMessage: optStr(o, 'errorMessage'),
    observedAt: new Date(),
    name: optStr(o, 'name'),
    inputFormat: format === 'JSON' || format === 'CSV' ? format : null,
    originalFileName: optStr(o, 'originalFileName'),
    methods: methods
      ? Object.keys(methods.value).map((method) => ({
          method,
          weight: num(methods as WireObject<Record<string, number>>, method),
        }))
      : [],
    // The gateway's write marker is its own, not the caller's (find-write.ts).
    context: context ? withoutMarker(context.value) : null,
    totalCostCents: optNum(o, 'totalCostCents'),
    totalInputTokens: optNum(o, 'totalInputTokens'),
    totalOutputTokens: optNum(o, 'totalOutputTokens'),
    validationErrors: (optArr(o, 'validationErrors') ?? []).map((row, i) => {
      const v = obj<FactCheckWireValidationError>(row, `${o.path}.validationErrors[${i}]`);
      return { row: num(v, 'row'), message: str(v, 'error') };
    }),
    expiresAt: optDate(o, 'expiresAt'),
  };
}

/** Maps one Check item result. */
export function toFactCheckItem(body: unknown, path: string): FactCheckItem {
  const o = obj<FactCheckWireItem>(body, path);
  const context = optObj(o, 'itemContext');
  return {
    id: str(o, 'id'),
    itemIndex: num(o, 'itemIndex'),
    idempotencyKey: optStr(o, 'idempotencyKey'),
    content: optStr(o, 'content'),
    itemContext: context ? context.value : null,
    status: str(o, 'status'),
    verificationId: optStr(o, 'verificationId'),
    verdict: optStr(o, 'verdict'),
    confidence: optNum(o, 'confidence'),
    decision: optStr(o, 'decision'),
    costCents: optNum(o, 'costCents'),
    processingTimeMs: optNum(o, 'processingTimeMs'),
    errorMessage: optStr(o, 'errorMessage'),
    retryCount: optNum(o, 'retryCount'),
    createdAt: optDate(o, 'createdAt'),
    completedAt: optDate(o, 'completedAt'),
  };
}

/** Reads Check's offset pagination block (`{total, limit, offset, hasMore}`). */
export function toFactCheckPagination(body: unknown, path: string): { total: number; hasMore: boolean } {
  const o = obj<{ total: number; hasMore: boolean }>(body, path);
  const hasMore = optBool(o, 'hasMore');
  if (hasMore === null) throw new WireShapeError(`${path}.hasMore`, 'a boolean');
  return { total: num(o, 'total'), hasMore };
}
