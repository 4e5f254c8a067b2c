import { ErrorCode, invalidInput, type FieldError } from '../../domain/errors.js';
import type { WriteOptions, WriteOutcome, WriteRequest } from '../../domain/writes.js';
import type { FactCheckSubmit, FactCheckWrite } from './model.js';
import { toWriteError, type WriteRefusal } from '../../upstream/errors.js';
import { idString, obj, optArr, optDate, optNum, optStr, num, str } from '../../upstream/wire.js';
import { refineFactCheckError } from './errors.js';
import { withMarker } from './marker.js';
import type { FactCheckClient } from './client.js';
import {
  FACTCHECK_DECISION_DEFAULTS,
  FACTCHECK_METHOD_PLAN,
  FACTCHECK_PLANS,
  type FactCheckPlanLimits,
} from './plans.js';
import type {
  FactCheckCreateRequest,
  FactCheckCreatedBatch,
  FactCheckFileParsingFailed,
  FactCheckUploadedFile,
  FactCheckWireError,
  FactCheckWireValidationError,
} from './types.js';

/** A Check field name (`items[3].content`, `options.timeout`) as a GraphQL input path. */
export function checkFieldPath(field: string): string[] {
  return ['input', ...field.split(/[.[\]]+/).filter((part) => part !== '')];
}

/**
 * Reads Check's refusals: the nested envelope's `details[{field, message}]` (400 `validation_error`,
 * 422), the upload's `{error: "File parsing failed", validationErrors}`, and the cancel page's
 * uppercase `CANNOT_CANCEL`.
 */
export function readFactCheckRefusal(_status: number, body: unknown): WriteRefusal | undefined {
  const error = (body as { error?: unknown } | undefined)?.error;
  if (typeof error === 'string') {
    const rows = ((body as Partial<FactCheckFileParsingFailed>).validationErrors ??
      []) as FactCheckWireValidationError[];
    return {
      fieldErrors: [
        { field: ['file'], message: error },
        ...rows.map((r) => ({ field: ['file'], message: `row ${r.row}: ${r.error}` })),
      ],
    };
  }
  if (error === null || typeof error !== 'object') return undefined;
  const e = error as Partial<FactCheckWireError['error']>;
  if (e.code === 'CANNOT_CANCEL') return { code: ErrorCode.CANNOT_CANCEL };
  const details = (e.details ?? []).filter((d) => typeof d?.message === 'string');
  const fieldErrors: FieldError[] = details.map((d) => ({
    field: typeof d.field === 'string' ? checkFieldPath(d.field) : null,
    message: d.message!,
  }));
  if (fieldErrors.length === 0 && typeof e.message === 'string') fieldErrors.push({ field: null, message: e.message });
  return { fieldErrors };
}

/** Checks a submit against Check's documented limits and the plan; the problems, each naming its limit. */
export function checkFactCheckSubmit(r: FactCheckSubmit, plan: FactCheckPlanLimits, maxItems: number): FieldError[] {
  const problems: FieldError[] = [];
  const add = (field: string[] | null, message: string) => problems.push({ field, message });
  if (plan.itemsPerBatch === 0) {
    add(null, 'Check batches need a Pro or Enterprise plan (FACTCHECK_PLAN is free)');
    return problems;
  }
  if ((r.items === undefined) === (r.fileId === undefined)) add(['input'], 'give exactly one of items and fileId');
  if (r.items) {
    const cap = Math.min(maxItems, plan.itemsPerBatch);
    if (r.items.length === 0) add(['input', 'items'], 'items must not be empty');
    if (r.items.length > cap)
      add(
        ['input', 'items'],
        `at most ${cap} items per batch (Check's limit for this plan, FACTCHECK_PLAN), got ${r.items.length}`,
      );
    r.items.forEach((item, i) => {
      if (item.content.length === 0) add(['input', 'items', String(i), 'content'], 'content must not be empty');
      if (item.content.length > plan.contentChars)
        add(
          ['input', 'items', String(i), 'content'],
          `content is ${item.content.length} characters; Check takes at most ${plan.contentChars} per item`,
        );
    });
  }
  for (const [method, weight] of Object.entries(r.methods ?? {})) {
    const needs = FACTCHECK_METHOD_PLAN[method];
    if (needs && FACTCHECK_PLANS[needs].rank > plan.rank)
      add(['input', 'methods'], `method ${method.toUpperCase()} needs Check's ${needs} plan (FACTCHECK_PLAN)`);
    if (!Number.isFinite(weight) || weight < 0)
      add(['input', 'methods'], `the weight of ${method.toUpperCase()} must be >= 0`);
  }
  const o = r.options ?? {};
  const range = (key: keyof typeof o, min: number, max: number, integer = false) => {
    const v = o[key];
    if (typeof v !== 'number') return;
    if (v < min || v > max || (integer && !Number.isInteger(v)))
      add(
        ['input', 'options', key],
        `${key} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${v}`,
      );
  };
  range('timeout', 1_000, 300_000, true);
  range('minConfidence', 0, 1);
  range('acceptThreshold', 0, 1);
  range('escalateThreshold', 0, 1);
  range('maxRetries', 0, 5, true);
  const accept = o.acceptThreshold ?? FACTCHECK_DECISION_DEFAULTS.acceptThreshold;
  const escalate = o.escalateThreshold ?? FACTCHECK_DECISION_DEFAULTS.escalateThreshold;
  if (!(accept > escalate))
    add(
      ['input', 'options', 'acceptThreshold'],
      `acceptThreshold (${accept}) must be greater than escalateThreshold (${escalate})`,
    );
  if (o.retryOnLowConfidence === true && o.minConfidence === undefined)
    add(['input', 'options', 'retryOnLowConfidence'], 'retryOnLowConfidence requires minConfidence');
  return problems;
}

function toWire(r: FactCheckSubmit, marker?: string): FactCheckCreateRequest {
  const context = withMarker(r.context, marker);
  return {
    ...(r.name !== undefined ? { name: r.name } : {}),
    ...(r.items
      ? {
          items: r.items.map((i) => ({
            content: i.content,
            ...(i.idempotencyKey !== undefined ? { idempotencyKey: i.idempotencyKey } : {}),
            ...(i.context !== undefined ? { context: i.context as Record<string, unknown> } : {}),
          })),
        }
      : {}),
    ...(r.fileId !== undefined ? { fileId: r.fileId } : {}),
    ...(r.methods ? { methods: r.methods } : {}),
    ...(context !== undefined ? { context } : {}),
    // Defaults are Check's (the generated type marks defaulted fields required): only what was given is sent.
    ...(r.options ? { options: r.options as NonNullable<FactCheckCreateRequest['options']> } : {}),
  };
}

/** Check's write operations on a client: submit, upload and cancel, with the plan's limits checked first. */
export function createFactCheckWrites(client: FactCheckClient, plan: FactCheckPlanLimits, maxItems = 1_000) {
  const fail = (error: unknown) => toWriteError('FACT_CHECK', error, readFactCheckRefusal, refineFactCheckError);
  return {
    async write(written: WriteRequest, options: WriteOptions = {}): Promise<WriteOutcome> {
      // The core hands an adapter only the kinds its definition lists (`ProviderDefinition.writes`).
      const request = written as FactCheckWrite;
      if (request.kind === 'FACT_CHECK_SUBMIT') {
        const problems = checkFactCheckSubmit(request, plan, maxItems);
        if (problems.length > 0) throw invalidInput(problems);
        try {
          const created = obj<FactCheckCreatedBatch>(
            await client.createBatch(toWire(request, options.marker), options.signal),
            '$',
          );
          const providerBatchId = str(created, 'id');
          // The id makes the write accepted; the rest of the documented answer is only checked.
          const bodyProblems = [
            typeof created.value.status === 'string' ? null : 'status is not a string',
            optDate(created, 'createdAt') === null ? 'createdAt is missing' : null,
          ].filter((p): p is string => p !== null);
          return { kind: 'batch', providerBatchId, ...(bodyProblems.length ? { bodyProblems } : {}) };
        } catch (error) {
          throw fail(error);
        }
      }
      if (request.kind === 'FACT_CHECK_UPLOAD') {
        if (plan.fileBytes === 0)
          throw invalidInput([{ field: null, message: 'Check uploads need a Pro or Enterprise plan' }]);
        if (request.file.size > plan.fileBytes)
          throw invalidInput([
            {
              field: ['file'],
              message:
                `the file is ${request.file.size} bytes; ` +
                `Check takes at most ${plan.fileBytes} on this plan (FACTCHECK_PLAN)`,
            },
          ]);
        try {
          const body = obj<FactCheckUploadedFile>(
            await client.uploadFile(request.file, request.fileName, request.contentType, options.signal),
            '$',
          );
          return {
            kind: 'file',
            file: {
              fileId: idString(body, 'fileId'),
              originalFileName: optStr(body, 'originalFileName'),
              itemCount: optNum(body, 'itemCount'),
              validationErrors: (optArr(body, 'validationErrors') ?? []).map((row, i) => {
                const r = obj<FactCheckWireValidationError>(row, `$.validationErrors[${i}]`);
                return { row: num(r, 'row'), message: str(r, 'error') };
              }),
              expiresAt: optDate(body, 'expiresAt'),
            },
          };
        } catch (error) {
          throw fail(error);
        }
      }
      throw new TypeError(`FACT_CHECK does not serve ${written.kind}`);
    },
    async cancel(id: string, options: WriteOptions = {}): Promise<void> {
      try {
        await client.cancelBatch(id, options.signal);
      } catch (error) {
        throw fail(error);
      }
    },
  };
}
