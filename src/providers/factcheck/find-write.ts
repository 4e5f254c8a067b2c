import type { FindWriteOptions, FoundWrite, WriteRequest } from '../../domain/writes.js';
import type { FactCheckWrite } from './model.js';
import { toGatewayError } from '../../upstream/errors.js';
import { field, obj, optArr, optDate, optNum, optObj, optStr, str, WireShapeError } from '../../upstream/wire.js';
import type { FactCheckClient } from './client.js';
import { refineFactCheckError } from './errors.js';
import { toFactCheckPagination } from './to-batch.js';
import { WRITE_MARKER_FIELD } from './marker.js';
import type { FactCheckListResponse, FactCheckWireBatch, FactCheckWireBatchSummary } from './types.js';

/** At most this many candidate batches are read one by one. */
const MAX_CANDIDATE_READS = 10;
/** At most this many list pages (of 100, Check's maximum) are read. */
const MAX_LIST_PAGES = 5;
const PAGE_SIZE = 100;

/**
 * Looks for the Check batch a submit with `marker` created. Check's list rows carry no `context`, so the
 * newest batches are listed (newest first, docs/providers.md) down to `since`, and those whose name and
 * item count match the request are read one by one for the marker. Absent only when the list was read
 * down past `since` and no candidate carried it; at most `MAX_CANDIDATE_READS` reads.
 */
export async function findFactCheckWrite(
  client: FactCheckClient,
  written: WriteRequest,
  marker: string,
  since: Date,
  options: FindWriteOptions,
): Promise<FoundWrite> {
  // The core hands an adapter only the kinds its definition lists (`ProviderDefinition.writes`).
  const request = written as FactCheckWrite;
  if (request.kind !== 'FACT_CHECK_SUBMIT')
    return { kind: 'unknown', reason: 'only a submitted batch can be looked for' };
  const name = request.name ?? null;
  const items = request.items?.length;
  const candidates: string[] = [];
  let covered = false;
  try {
    for (let page = 0, offset = 0; page < MAX_LIST_PAGES && !covered; page++) {
      options.charge();
      const body = obj<FactCheckListResponse>(
        await client.listBatches({ limit: PAGE_SIZE, offset }, options.signal),
        '$',
      );
      const rows = optArr(body, 'data');
      if (rows === null) throw new WireShapeError('$.data', 'an array');
      for (const [i, raw] of rows.entries()) {
        const row = obj<FactCheckWireBatchSummary>(raw, `$.data[${i}]`);
        const createdAt = optDate(row, 'createdAt');
        if (createdAt !== null && createdAt < since) {
          covered = true;
          break;
        }
        if (optStr(row, 'name') !== name) continue;
        if (items !== undefined && optNum(row, 'totalItems') !== items) continue;
        candidates.push(str(row, 'id'));
      }
      const pagination = toFactCheckPagination(field(body, 'pagination'), '$.pagination');
      if (!pagination.hasMore || rows.length === 0) covered = true;
      offset += rows.length;
    }
    for (const id of candidates.slice(0, MAX_CANDIDATE_READS)) {
      options.charge();
      const batch = obj<FactCheckWireBatch>(await client.getBatch(id, options.signal), '$');
      const context = optObj(batch, 'context');
      if (context?.value[WRITE_MARKER_FIELD] === marker) return { kind: 'found', providerBatchId: id };
    }
  } catch (error) {
    throw toGatewayError('FACT_CHECK', error, refineFactCheckError);
  }
  if (candidates.length > MAX_CANDIDATE_READS)
    return {
      kind: 'unknown',
      reason: `${candidates.length} Check batches could be it; more than the ${MAX_CANDIDATE_READS} the gateway reads`,
    };
  if (!covered)
    return { kind: 'unknown', reason: `more Check batches were created since the attempt than the gateway lists` };
  return { kind: 'absent' };
}
