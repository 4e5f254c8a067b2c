import { FINISHED_STATUSES, percentOf, type FactCheckBatch } from '../../domain/batch.js';
import { num, obj, optArr, optDate, optNum, optObj, optStr, str, type WireObject } from '../wire.js';
import { fromFactCheckStatus } from './status.js';
import type { FactCheckWireBatch, FactCheckWireValidationError } from './types.js';

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
    progress: { total, processed, succeeded, failed, pending: Math.max(0, total - succeeded - failed), percent: percentOf(processed, total) },
    createdAt: optDate(o, 'createdAt'),
    startedAt: optDate(o, 'startedAt'),
    completedAt: optDate(o, 'completedAt'),
    errorMessage: optStr(o, 'errorMessage'),
    name: optStr(o, 'name'),
    inputFormat: format === 'JSON' || format === 'CSV' ? format : null,
    originalFileName: optStr(o, 'originalFileName'),
    methods: methods
      ? Object.keys(methods.value).map((method) => ({ method, weight: num(methods as WireObject<Record<string, number>>, method) }))
      : [],
    context: context ? context.value : null,
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
