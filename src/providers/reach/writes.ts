import { ErrorCode, invalidInput, type FieldError } from '../../domain/errors.js';
import type { WriteOptions, WriteOutcome, WriteRequest } from '../../domain/writes.js';
import { toWriteError, type WriteRefusal } from '../../upstream/errors.js';
import { field, obj, optObj, str, WireShapeError } from '../../upstream/wire.js';
import type { ReachClient } from './client.js';
import type { ReachWrite } from './model.js';
import type { ReachWriteAccepted } from './types.js';

/**
 * Resources per POST or PATCH (documented), and external ids per DELETE: Reach documents no limit
 * there, so batchql takes the same 1,000 (docs/providers.md, assumptions).
 */
const REACH_MAX_RESOURCES = 1_000;

/**
 * Reads Reach's `{success:false, message, errors[]}`: every `errors[]` entry is one user error. A write
 * names no batch, so a 404 can only be about its input (an unknown schema definition): rejected input.
 */
export function readReachRefusal(status: number, body: unknown): WriteRefusal | undefined {
  const b = body as { message?: unknown; errors?: unknown } | undefined;
  const list = Array.isArray(b?.errors) ? b.errors.filter((e): e is string => typeof e === 'string') : [];
  const messages = list.length > 0 ? list : typeof b?.message === 'string' ? [b.message] : [];
  return {
    ...(status === 404 ? { code: ErrorCode.PROVIDER_REJECTED_INPUT } : {}),
    fieldErrors: messages.map((message) => ({ field: ['input'], message })),
  };
}

function check(r: ReachWrite): FieldError[] {
  const problems: FieldError[] = [];
  if (r.kind === 'REACH_SUBMIT' || r.kind === 'REACH_PATCH') {
    if (r.resources.length === 0)
      problems.push({ field: ['input', 'resources'], message: 'give at least one resource' });
    if (r.resources.length > REACH_MAX_RESOURCES)
      problems.push({
        field: ['input', 'resources'],
        message: `at most ${REACH_MAX_RESOURCES} resources per batch (Reach's limit), got ${r.resources.length}`,
      });
    const wait = r.kind === 'REACH_SUBMIT' ? r.dependencyWaitTimeout : undefined;
    if (wait !== undefined && (!Number.isInteger(wait) || wait < 0 || wait > 86_400))
      problems.push({
        field: ['input', 'dependencyWaitTimeoutSeconds'],
        message: `dependencyWaitTimeoutSeconds must be an integer from 0 to 86400, got ${wait}`,
      });
  } else if (r.kind === 'REACH_DELETE') {
    if (!r.deleteAll && r.externalIds.length === 0)
      problems.push({ field: ['input', 'externalIds'], message: 'give externalIds, or set deleteAll' });
    if (r.externalIds.length > REACH_MAX_RESOURCES)
      problems.push({
        field: ['input', 'externalIds'],
        message:
          `at most ${REACH_MAX_RESOURCES} externalIds per delete (batchql's limit; Reach documents none), ` +
          `got ${r.externalIds.length}`,
      });
  }
  if ('schema' in r && !/^[A-Za-z0-9_.:-]{1,128}$/.test(r.schema))
    problems.push({
      field: ['input', 'schema'],
      message: 'schema is a schema definition name or id: 1-128 letters, digits, ".", "_", ":" or "-"',
    });
  return problems;
}

/** The batch id of a 202 `{success, message, data: {batchId, …}}`. */
function acceptedBatchId(body: unknown): string {
  const data = optObj(obj<ReachWriteAccepted>(body, '$'), 'data');
  if (data === null) throw new WireShapeError('$.data', 'an object');
  return str(data, 'batchId');
}

/** Reach's writes: submit (POST), patch and delete resources, always for the caller's tenant. */
export function createReachWrites(client: ReachClient) {
  const fail = (error: unknown) => toWriteError('REACH', error, readReachRefusal);
  return {
    async write(written: WriteRequest, options: WriteOptions = {}): Promise<WriteOutcome> {
      // The core hands an adapter only the kinds its definition lists (`ProviderDefinition.writes`).
      const r = written as ReachWrite;
      const problems = check(r);
      if (problems.length > 0) throw invalidInput(problems);
      const tenant = options.tenant;
      try {
        if (r.kind === 'REACH_SUBMIT' || r.kind === 'REACH_PATCH') {
          const query: Record<string, string | undefined> = {
            ignoreUnknownFields: r.ignoreUnknownFields === undefined ? undefined : String(r.ignoreUnknownFields),
          };
          if (r.kind === 'REACH_SUBMIT') {
            query.onconflict = r.onConflict;
            query.dependencyWaitTimeout =
              r.dependencyWaitTimeout === undefined ? undefined : String(r.dependencyWaitTimeout);
          }
          const method = r.kind === 'REACH_SUBMIT' ? 'POST' : 'PATCH';
          const body = await client.writeResources(
            method,
            r.schema,
            query,
            { resources: r.resources },
            tenant,
            options.signal,
          );
          return { kind: 'batch', providerBatchId: acceptedBatchId(body) };
        }
        if (r.kind === 'REACH_DELETE') {
          const body = await client.writeResources(
            'DELETE',
            r.schema,
            {},
            {
              ...(r.externalIds.length > 0 ? { externalIds: r.externalIds } : {}),
              cascade: r.cascade,
              deleteAll: r.deleteAll,
              dryRun: r.dryRun,
            },
            tenant,
            options.signal,
          );
          if (!r.dryRun) return { kind: 'batch', providerBatchId: acceptedBatchId(body) };
          // The preview's shape is not documented: its `data` (or the whole body) goes to the client as is.
          const envelope = obj<Record<string, unknown>>(body, '$');
          return { kind: 'preview', preview: field(envelope, 'data') ?? body };
        }
      } catch (error) {
        throw fail(error);
      }
      throw new TypeError(`REACH does not serve ${r.kind}`);
    },
  };
}
