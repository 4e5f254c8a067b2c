import { ErrorCode } from '../../domain/errors.js';
import type { FactCheckWireError } from './types.js';

/** Reads Check's nested envelope: `not_found` means not found whatever the status. */
export function refineFactCheckError(_status: number, body: unknown): ErrorCode | undefined {
  const error = (body as Partial<FactCheckWireError> | undefined)?.error;
  const code = typeof error === 'object' && error !== null ? error.code : undefined;
  if (code === 'not_found') return ErrorCode.NOT_FOUND;
  if (code === 'unauthorized' || code === 'forbidden') return ErrorCode.PROVIDER_AUTH_FAILED;
  if (code === 'rate_limited') return ErrorCode.PROVIDER_RATE_LIMITED;
  return undefined;
}
