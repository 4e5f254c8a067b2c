import { ErrorCode } from '../../domain/errors.js';
import type { GameballWireError } from './types.js';

/**
 * Reads Gameball's flat error envelope: 4004 is "resource not found" and the 1xxx class is
 * authentication, whatever HTTP status carried them.
 */
export function refineGameballError(_status: number, body: unknown): ErrorCode | undefined {
  const code = (body as GameballWireError | undefined)?.code;
  if (typeof code !== 'number') return undefined;
  if (code === 4004) return ErrorCode.NOT_FOUND;
  if (code >= 1000 && code < 2000) return ErrorCode.PROVIDER_AUTH_FAILED;
  return undefined;
}
