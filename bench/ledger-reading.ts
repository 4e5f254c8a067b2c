import type { Batch } from '../src/domain/batch.js';

/** A running Check batch as the gateway maps it (its fields, about 1 KB of JSON), `processed` items done. */
export function checkReading(i: number, processed: number): Batch {
  const total = 1000;
  return {
    provider: 'FACT_CHECK',
    providerBatchId: `batch_${String(i).padStart(8, '0')}`,
    status: 'RUNNING',
    providerStatus: 'processing',
    isTerminal: false,
    progress: {
      total,
      processed,
      succeeded: processed,
      failed: 0,
      pending: total - processed,
      percent: processed / 10,
    },
    createdAt: new Date(1_700_000_000_000 + i * 1000),
    startedAt: new Date(1_700_000_100_000 + i * 1000),
    completedAt: null,
    errorMessage: null,
    observedAt: new Date(),
    name: `Newsroom claims ${i}`,
    inputFormat: 'JSON',
    originalFileName: null,
    methods: ['WEB', 'TOOL'],
    context: { url: `https://news.example/${i}` },
    totalItems: total,
    processedItems: processed,
    failedItems: 0,
    totalCostCents: processed * 2,
    totalInputTokens: processed * 310,
    totalOutputTokens: processed * 95,
    validationErrors: [],
    expiresAt: new Date(1_800_000_000_000),
  } as unknown as Batch;
}
