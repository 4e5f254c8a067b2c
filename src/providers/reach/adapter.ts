import type { BatchProvider } from '../../domain/provider.js';
import { toGatewayError } from '../../upstream/errors.js';
import { REACH_CAPABILITIES } from './capabilities.js';
import type { ReachClient } from './client.js';
import { fromReachEnvelope, fromReachListEnvelope, toReachBatch } from './to-batch.js';
import { planReachList } from './list-plan.js';
import { createReachWrites } from './writes.js';

/** Reach batch ids are undocumented strings; refuse only what cannot be a path segment id. */
const REACH_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Wraps a Reach client as a `BatchProvider`. */
export function createReachAdapter(client: ReachClient): BatchProvider {
  const fail = (error: unknown) => toGatewayError('REACH', error);
  const writes = createReachWrites(client);
  return {
    name: 'REACH',
    capabilities: REACH_CAPABILITIES,
    checkId: (id) =>
      REACH_ID.test(id) ? null : 'a Reach batch id is 1-128 characters of letters, digits, ".", "_", ":" or "-"',
    async get(id, options = {}) {
      try {
        const body = await client.getBatch(
          id,
          { includePendingDetails: options.includePendingDetails ?? false },
          options.signal,
          options.tenant,
        );
        return toReachBatch(fromReachEnvelope(body));
      } catch (error) {
        throw fail(error);
      }
    },
    planList: planReachList,
    async listPage(pushdown, ref, options = {}) {
      try {
        const body = await client.listBatches(
          {
            ...pushdown,
            limit: String(ref.size),
            cursor: ref.token === null ? undefined : String(ref.token),
            includePendingDetails: options.includePendingDetails ? 'true' : undefined,
          },
          options.signal,
          options.tenant,
        );
        const page = fromReachListEnvelope(body);
        return {
          items: page.results.map(toReachBatch),
          next: page.hasNextPage ? page.cursor : null,
          total: page.total,
        };
      } catch (error) {
        throw fail(error);
      }
    },
    write: (request, options) => writes.write(request, options),
    circuit: () => client.circuit(),
    pollRate: () => client.pollRate(),
    pausedUntil: () => client.pausedUntil(),
    interactiveCapacity: (withinMs) => client.interactiveCapacity(withinMs),
    close: () => client.close(),
  };
}
