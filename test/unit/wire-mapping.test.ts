import { describe, expect, it } from 'vitest';
import { toFactCheckBatch } from '../../src/providers/factcheck/to-batch.js';
import { toGameballBatch } from '../../src/providers/gameball/to-batch.js';
import { fromReachEnvelope, toReachBatch } from '../../src/providers/reach/to-batch.js';
import { WireShapeError } from '../../src/upstream/wire.js';

// The documented example from factcheck-get-batch.seed.md.
const CHECK_EXAMPLE = {
  id: 'batch_abc123def456',
  name: 'Daily fact check',
  inputFormat: 'json',
  originalFileName: null,
  status: 'completed',
  totalItems: 50,
  processedItems: 50,
  successCount: 48,
  failureCount: 2,
  methodsConfig: { reasoning: 1, tool: 0.5 },
  context: { source: 'news-aggregator' },
  totalCostCents: 250,
  totalInputTokens: 12500,
  totalOutputTokens: 8700,
  errorMessage: null,
  validationErrors: null,
  createdAt: '2024-01-15T10:00:00Z',
  startedAt: '2024-01-15T10:00:01Z',
  completedAt: '2024-01-15T10:02:30Z',
  expiresAt: '2024-02-14T10:00:00Z',
};

describe('Check wire mapping', () => {
  it('maps the documented example', () => {
    const batch = toFactCheckBatch(CHECK_EXAMPLE);
    expect(batch).toMatchObject({
      provider: 'FACT_CHECK',
      providerBatchId: 'batch_abc123def456',
      status: 'PARTIALLY_SUCCEEDED',
      providerStatus: 'completed',
      isTerminal: true,
      name: 'Daily fact check',
      inputFormat: 'JSON',
      totalCostCents: 250,
      methods: [
        { method: 'reasoning', weight: 1 },
        { method: 'tool', weight: 0.5 },
      ],
      progress: { total: 50, processed: 50, succeeded: 48, failed: 2, pending: 0, percent: 100 },
    });
    expect(batch.completedAt?.toISOString()).toBe('2024-01-15T10:02:30.000Z');
  });

  it('maps a failed-validation batch with its rows', () => {
    const batch = toFactCheckBatch({
      ...CHECK_EXAMPLE,
      status: 'failed',
      processedItems: 0,
      successCount: 0,
      failureCount: 0,
      errorMessage: '1 validation error(s)',
      validationErrors: [{ row: 5, error: 'Content is required' }],
    });
    expect(batch.status).toBe('FAILED');
    expect(batch.validationErrors).toEqual([{ row: 5, message: 'Content is required' }]);
    expect(batch.errorMessage).toBe('1 validation error(s)');
  });

  it('rejects schema drift instead of passing a wrong value on', () => {
    expect(() => toFactCheckBatch({ ...CHECK_EXAMPLE, totalItems: '50' })).toThrow(WireShapeError);
    expect(() => toFactCheckBatch({ ...CHECK_EXAMPLE, createdAt: 'yesterday' })).toThrow(WireShapeError);
    expect(() => toFactCheckBatch([])).toThrow(WireShapeError);
  });
});

describe('Reach wire mapping', () => {
  const base = {
    batchId: 'b1',
    status: 'success',
    batchType: 'PARTNER_RESOURCE_JSON_INGEST',
    progress: { totalRecords: 10, processedRecords: 10, successfulRecords: 8, failedRecords: 2, successRate: 80 },
  };

  it('accepts the older rendering without the optional fields', () => {
    const batch = toReachBatch(fromReachEnvelope({ success: true, data: base }));
    expect(batch).toMatchObject({
      status: 'SUCCEEDED',
      isTerminal: true,
      pendingRecords: null,
      createdAt: null,
      pendingResources: null,
      schemaName: null,
    });
  });

  it('keeps a finished batch with pending records non-terminal and reports the last expiry', () => {
    const batch = toReachBatch(
      fromReachEnvelope({
        success: true,
        data: {
          ...base,
          status: 'partial_success',
          progress: { ...base.progress, pendingRecords: 2, successfulRecords: 6 },
          errors: {
            summary: { validation: 2 },
            details: { 'ext-1': { errors: ['bad email'], categories: ['validation'] } },
            message: 'some failed',
          },
          pendingResources: [
            {
              id: 'p1',
              resourceExternalId: 'r1',
              schemaDefinitionId: 's1',
              missingDependencies: [{ schemaDefinitionId: 's2', externalId: 'x' }],
              expiresAt: '2026-01-01T00:00:00Z',
              createdAt: '2025-12-31T00:00:00Z',
            },
            {
              id: 'p2',
              resourceExternalId: 'r2',
              schemaDefinitionId: 's1',
              missingDependencies: [],
              expiresAt: '2026-01-02T00:00:00Z',
              createdAt: '2025-12-31T00:00:00Z',
            },
          ],
        },
      }),
    );
    expect(batch.isTerminal).toBe(false);
    expect(batch.status).toBe('PARTIALLY_SUCCEEDED');
    expect(batch.progress.pending).toBe(2);
    expect(batch.pendingExpiresAt?.toISOString()).toBe('2026-01-02T00:00:00.000Z');
    expect(batch.errorSummary).toEqual([{ category: 'validation', count: 2 }]);
    expect(batch.recordErrors).toEqual([{ externalId: 'ext-1', errors: ['bad email'], categories: ['validation'] }]);
    expect(batch.errorMessage).toBe('some failed');
  });

  it('maps an unknown batch type to null and keeps the raw word', () => {
    const batch = toReachBatch(
      fromReachEnvelope({ success: true, data: { ...base, batchType: 'PARTNER_RESOURCE_MERGE' } }),
    );
    expect(batch.batchType).toBeNull();
    expect(batch.batchTypeRaw).toBe('PARTNER_RESOURCE_MERGE');
  });

  it('rejects a body without data or progress', () => {
    expect(() => fromReachEnvelope({ success: true })).toThrow(WireShapeError);
    expect(() => toReachBatch(fromReachEnvelope({ success: true, data: { ...base, progress: undefined } }))).toThrow(
      WireShapeError,
    );
  });
});

describe('Gameball wire mapping', () => {
  it('maps a completed batch with item errors as a partial success', () => {
    const batch = toGameballBatch(
      {
        batchId: '42',
        status: 'completed',
        progress: 100,
        totalItems: 3,
        processedItems: 3,
        failedItems: 1,
        results: [{ customerId: 'c1', amount: 5, points: 50 }],
        errors: [{ customerId: 'c2', message: 'Duplicate transaction ID', code: 9004 }],
      },
      '42',
    );
    expect(batch).toMatchObject({
      status: 'PARTIALLY_SUCCEEDED',
      isTerminal: true,
      progress: { total: 3, processed: 3, succeeded: 2, failed: 1, pending: 0, percent: 100 },
    });
    expect(batch.results[0]).toMatchObject({ customerId: 'c1', amount: 5, points: 50 });
    expect(batch.itemErrors[0]).toMatchObject({ customerId: 'c2', message: 'Duplicate transaction ID', code: 9004 });
  });

  it('falls back to the older v4.0 fields', () => {
    const batch = toGameballBatch(
      { status: 'Running', totalCount: 10, finishedCount: 4, errorCount: 1, createdAt: '2025-01-01T00:00:00Z' },
      '7',
    );
    expect(batch).toMatchObject({
      providerBatchId: '7',
      status: 'RUNNING',
      progress: { total: 10, processed: 4, failed: 1, percent: 40 },
    });
    expect(batch.createdAt?.toISOString()).toBe('2025-01-01T00:00:00.000Z');
  });

  it("reads the older response block's successful and failed items", () => {
    const batch = toGameballBatch(
      {
        status: 'Completed',
        totalCount: 2,
        finishedCount: 2,
        errorCount: 1,
        response: {
          successful: [{ playerUniqueId: 'p1', gameballTransactionId: 'g1' }],
          failed: [{ playerUniqueId: 'p2', message: 'Customer not found' }],
        },
      },
      '8',
    );
    expect(batch.results).toEqual([expect.objectContaining({ customerId: 'p1', transactionId: 'g1' })]);
    expect(batch.itemErrors).toEqual([expect.objectContaining({ customerId: 'p2', message: 'Customer not found' })]);
    expect(toGameballBatch({ status: 'Completed', response: [{ playerUniqueId: 'p3' }] }, '9').results).toEqual([
      expect.objectContaining({ customerId: 'p3' }),
    ]);
  });

  it('counts failed items as finished when a failed batch leaves them out of processedItems', () => {
    const batch = toGameballBatch({ status: 'failed', totalItems: 10, processedItems: 0, failedItems: 10 }, '3');
    expect(batch.progress).toMatchObject({ total: 10, processed: 0, failed: 10, pending: 0 });
  });

  it('keeps items of unknown shape verbatim', () => {
    const batch = toGameballBatch({ status: 'completed', results: ['odd'] }, '1');
    expect(batch.results[0]?.raw).toEqual({ value: 'odd' });
  });
});
