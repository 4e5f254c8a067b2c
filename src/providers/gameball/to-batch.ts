import { FINISHED_STATUSES, percentOf } from '../../domain/batch.js';
import { type GameballBatch, type GameballItem } from './model.js';
import { obj, optArr, optDate, optNum, optStr, type WireObject } from '../../upstream/wire.js';
import { fromGameballStatus } from './status.js';
import type { GameballLegacyWireBatch, GameballWireBatch, GameballWireItem } from './types.js';

/**
 * Maps a Gameball status body to the domain model. Every field of the v4 schema is optional,
 * so absent counts stay null; the older v4.0 fields (totalCount, finishedCount, errorCount,
 * startedAt, createdAt) fill in when the current ones are absent.
 */
export function toGameballBatch(body: unknown, requestedId: string): GameballBatch {
  const o = obj<GameballWireBatch>(body, '$');
  const legacy = o as unknown as WireObject<GameballLegacyWireBatch>;
  const providerStatus = optStr(o, 'status') ?? '';
  const totalItems = optNum(o, 'totalItems') ?? optNum(legacy, 'totalCount');
  const processedItems = optNum(o, 'processedItems') ?? optNum(legacy, 'finishedCount');
  const failedItems = optNum(o, 'failedItems') ?? optNum(legacy, 'errorCount');
  const providerProgress = optNum(o, 'progress');
  const processed = processedItems ?? 0;
  const failed = failedItems ?? 0;
  const status = fromGameballStatus(providerStatus, failed);
  const batchId = o.value['batchId'];
  return {
    provider: 'GAMEBALL',
    // The status body may carry the id as a string or (like create's jobId) a number.
    providerBatchId: typeof batchId === 'string' || typeof batchId === 'number' ? String(batchId) : requestedId,
    status,
    providerStatus,
    isTerminal: FINISHED_STATUSES.has(status),
    progress: {
      total: totalItems,
      processed,
      succeeded: processedItems === null ? null : Math.max(0, processed - failed),
      failed,
      // Failed items count as finished even when a server leaves them out of processedItems.
      pending: totalItems === null ? 0 : Math.max(0, totalItems - Math.max(processed, failed)),
      percent:
        providerProgress !== null ? Math.min(100, Math.max(0, providerProgress)) : percentOf(processed, totalItems),
    },
    createdAt: optDate(legacy, 'createdAt'),
    startedAt: optDate(legacy, 'startedAt'),
    completedAt: optDate(legacy, 'completedAt'),
    errorMessage: null,
    observedAt: new Date(),
    providerProgress,
    totalItems,
    processedItems,
    failedItems,
    results: (optArr(o, 'results') ?? legacyItems(legacy, 'successful')).map(toItem),
    itemErrors: (optArr(o, 'errors') ?? legacyItems(legacy, 'failed')).map(toItem),
  };
}

/**
 * The older `response` block: `{successful: [...], failed: [...]}`, either part optional, or one
 * plain list of results.
 */
function legacyItems(legacy: WireObject<GameballLegacyWireBatch>, part: 'successful' | 'failed'): unknown[] {
  const response = legacy.value['response'];
  if (Array.isArray(response)) return part === 'successful' ? response : [];
  if (response === null || typeof response !== 'object') return [];
  const list = (response as Record<string, unknown>)[part];
  return Array.isArray(list) ? list : [];
}

/** Item shapes are undocumented, so anything is accepted and kept verbatim in `raw`. */
function toItem(item: unknown): GameballItem {
  const raw =
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? (item as Record<string, unknown>)
      : { value: item };
  const field = <K extends keyof GameballWireItem>(k: K, type: 'string' | 'number') =>
    typeof raw[k] === type ? raw[k] : null;
  const customer = raw['customerId'] ?? raw['playerUniqueId'];
  return {
    customerId: typeof customer === 'string' || typeof customer === 'number' ? String(customer) : null,
    amount: field('amount', 'number') as number | null,
    points: field('points', 'number') as number | null,
    transactionId: (field('transactionId', 'string') ?? field('gameballTransactionId', 'string')) as string | null,
    message: field('message', 'string') as string | null,
    code: field('code', 'number') as number | null,
    raw,
  };
}
