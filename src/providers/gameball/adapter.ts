import type { BatchProvider } from '../../domain/provider.js';
import { toGatewayError } from '../../upstream/errors.js';
import { GAMEBALL_CAPABILITIES } from './capabilities.js';
import type { GameballClient } from './client.js';
import { toGameballBatch } from './to-batch.js';
import { refineGameballError } from './errors.js';
import { createGameballWrites } from './writes.js';

/** Gameball job ids are numbers (create returns `jobId` as a number; status takes it as a string). */
const GAMEBALL_ID = /^\d{1,20}$/;

/** Wraps a Gameball client as a `BatchProvider`. */
export function createGameballAdapter(client: GameballClient): BatchProvider {
  const writes = createGameballWrites(client);
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
    write: (request, options) => writes.write(request, options),
    cancel: (id, options) => writes.cancel(id, options),
    circuit: () => client.circuit(),
    pollRate: () => client.pollRate(),
    pausedUntil: () => client.pausedUntil(),
    interactiveCapacity: (withinMs) => client.interactiveCapacity(withinMs),
    close: () => client.close(),
  };
}
