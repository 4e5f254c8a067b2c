import type { BatchProvider } from '../../domain/provider.js';
import { PROVIDER_CAPABILITIES } from '../../domain/provider.js';
import { toGatewayError } from '../upstream-errors.js';
import type { ReachClient } from './client.js';
import { fromReachEnvelope, toReachBatch } from './to-batch.js';

/** Reach batch ids are undocumented strings; refuse only what cannot be a path segment id. */
const REACH_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Wraps a Reach client as a `BatchProvider`. */
export function createReachAdapter(client: ReachClient): BatchProvider {
  const fail = (error: unknown) => toGatewayError('REACH', error);
  return {
    name: 'REACH',
    capabilities: PROVIDER_CAPABILITIES.REACH,
    checkId: (id) => (REACH_ID.test(id) ? null : 'a Reach batch id is 1-128 characters of letters, digits, ".", "_", ":" or "-"'),
    async get(id, options = {}) {
      try {
        const body = await client.getBatch(id, { includePendingDetails: options.includePendingDetails ?? false }, options.signal);
        return toReachBatch(fromReachEnvelope(body));
      } catch (error) {
        throw fail(error);
      }
    },
    close: () => client.close(),
  };
}
