import { ErrorCode } from '../../domain/errors.js';
import { PROVIDER_CAPABILITIES, type BatchProvider } from '../../domain/provider.js';
import { toGatewayError } from '../upstream-errors.js';
import type { FactCheckClient } from './client.js';
import { toFactCheckBatch } from './to-batch.js';
import type { FactCheckWireError } from './types.js';

/** Check batch ids are `batch_` plus an alphanumeric suffix (12 hex characters in practice). */
const FACT_CHECK_ID = /^batch_[A-Za-z0-9]{1,64}$/;

/** Reads Check's nested envelope: `not_found` means not found whatever the status. */
export function refineFactCheckError(_status: number, body: unknown): ErrorCode | undefined {
  const error = (body as Partial<FactCheckWireError> | undefined)?.error;
  const code = typeof error === 'object' && error !== null ? error.code : undefined;
  if (code === 'not_found') return ErrorCode.NOT_FOUND;
  if (code === 'unauthorized' || code === 'forbidden') return ErrorCode.PROVIDER_AUTH_FAILED;
  if (code === 'rate_limited') return ErrorCode.PROVIDER_RATE_LIMITED;
  return undefined;
}

/** Wraps a Check client as a `BatchProvider`. */
export function createFactCheckAdapter(client: FactCheckClient): BatchProvider {
  return {
    name: 'FACT_CHECK',
    capabilities: PROVIDER_CAPABILITIES.FACT_CHECK,
    checkId: (id) => (FACT_CHECK_ID.test(id) ? null : 'a Check batch id looks like "batch_" followed by letters and digits'),
    async get(id, options = {}) {
      try {
        return toFactCheckBatch(await client.getBatch(id, options.signal));
      } catch (error) {
        throw toGatewayError('FACT_CHECK', error, refineFactCheckError);
      }
    },
    close: () => client.close(),
  };
}
