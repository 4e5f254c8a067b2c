import type { BatchProvider } from '../../domain/provider.js';
import { toGatewayError } from '../../upstream/errors.js';
import { FACT_CHECK_CAPABILITIES } from './capabilities.js';
import type { FactCheckClient } from './client.js';
import { toFactCheckBatch, toFactCheckItem, toFactCheckPagination } from './to-batch.js';
import { planFactCheckList } from './list-plan.js';
import { field, obj, optArr, WireShapeError } from '../../upstream/wire.js';
import type { FactCheckListResponse, FactCheckResultsResponse } from './types.js';
import { refineFactCheckError } from './errors.js';
import { createFactCheckWrites } from './writes.js';
import { findFactCheckWrite } from './find-write.js';
import type { FactCheckPlanLimits } from './plans.js';
import { FACT_CHECK_ID } from './batch-id.js';

/** Wraps a Check client as a `BatchProvider`; writes are checked against `plan` (`FACTCHECK_PLAN`). */
export function createFactCheckAdapter(client: FactCheckClient, plan: FactCheckPlanLimits): BatchProvider {
  const fail = (error: unknown) => toGatewayError('FACT_CHECK', error, refineFactCheckError);
  const writes = createFactCheckWrites(client, plan);
  return {
    name: 'FACT_CHECK',
    capabilities: FACT_CHECK_CAPABILITIES,
    checkId: (id) =>
      FACT_CHECK_ID.test(id) ? null : 'a Check batch id looks like "batch_" followed by letters and digits',
    async get(id, options = {}) {
      try {
        return toFactCheckBatch(await client.getBatch(id, options.signal));
      } catch (error) {
        throw fail(error);
      }
    },
    planList: planFactCheckList,
    async listPage(pushdown, ref, options = {}) {
      const offset = typeof ref.token === 'number' ? ref.token : 0;
      try {
        const body = obj<FactCheckListResponse>(
          await client.listBatches({ limit: ref.size, offset, status: pushdown.status }, options.signal),
          '$',
        );
        const data = optArr(body, 'data');
        if (data === null) throw new WireShapeError('$.data', 'an array');
        const page = toFactCheckPagination(field(body, 'pagination'), '$.pagination');
        const items = data.map((row, i) => toFactCheckBatch(row, `$.data[${i}]`));
        // An empty page that claims more would loop forever; treat it as the end.
        return { items, next: page.hasMore && items.length > 0 ? offset + items.length : null, total: page.total };
      } catch (error) {
        throw fail(error);
      }
    },
    async listItemResults(id, offset, limit, signal) {
      try {
        const body = obj<FactCheckResultsResponse>(await client.getResults(id, { offset, limit }, signal), '$');
        const items = optArr(body, 'items');
        if (items === null) throw new WireShapeError('$.items', 'an array');
        return {
          items: items.map((row, i) => toFactCheckItem(row, `$.items[${i}]`)),
          total: toFactCheckPagination(field(body, 'pagination'), '$.pagination').total,
        };
      } catch (error) {
        throw fail(error);
      }
    },
    write: (request, options) => writes.write(request, options),
    findWrite: (request, marker, since, options) => findFactCheckWrite(client, request, marker, since, options),
    cancel: (id, options) => writes.cancel(id, options),
    circuit: () => client.circuit(),
    pollRate: () => client.pollRate(),
    pausedUntil: () => client.pausedUntil(),
    interactiveCapacity: (withinMs) => client.interactiveCapacity(withinMs),
    close: () => client.close(),
  };
}
