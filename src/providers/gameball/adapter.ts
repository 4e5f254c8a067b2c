import { ErrorCode } from '../../domain/errors.js';
import type { BatchProvider } from '../../domain/provider.js';
import { toGatewayError } from '../upstream-errors.js';
import { GAMEBALL_CAPABILITIES } from './capabilities.js';
import type { GameballClient } from './client.js';
import { toGameballBatch } from './to-batch.js';
import type { GameballWireError } from './types.js';

/** Gameball job ids are numbers (create returns `jobId` as a number; status takes it as a string). */
const GAMEBALL_ID = /^\d{1,20}$/;

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

/** Wraps a Gameball client as a `BatchProvider`. */
export function createGameballAdapter(client: GameballClient): BatchProvider {
  return {
    name: 'GAMEBALL',
    capabilities: GAMEBALL_CAPABILITIES,
    checkId: (id) => (GAMEBALL_ID.test(id) ? null : 'a Gameball batch id is a number (the jobId returned at creation)'),
    async get(id, options = {}) {
      try {
        return toGameballBatch(await client.getBatchStatus(id, options.signal), id);
      } catch (error) {
        throw toGatewayError('GAMEBALL', error, refineGameballError);
      }
    },
    circuit: () => client.circuit(),
    pollRate: () => client.pollRate(),
    close: () => client.close(),
  };
}
