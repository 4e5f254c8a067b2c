import { invalidInput } from '../../domain/errors.js';
import type {
  FactCheckSubmit,
  FactCheckUpload,
  GameballOperation,
  GameballSubmit,
  ReachDelete,
  ReachResourcesWrite,
} from '../../domain/writes.js';
import type {
  DeleteReachResourcesInput,
  PatchReachResourcesInput,
  SubmitFactCheckBatchInput,
  SubmitGameballBatchInput,
  SubmitReachResourcesInput,
} from '../__generated__/resolvers-types.js';

type Maybe<T> = T | null | undefined;

/** A typed input object without its null or absent fields (GraphQL null means "not given"); JSON values are kept. */
function compact<T extends object>(value: T): { [K in keyof T]?: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined)) as never;
}

const iso = (value: Maybe<Date | string>) => (value instanceof Date ? value.toISOString() : (value ?? undefined));

/** `submitFactCheckBatch`'s input as Check's request (methods by their wire names). */
export function toFactCheckSubmit(input: SubmitFactCheckBatchInput): FactCheckSubmit {
  const methods: Record<string, number> = {};
  for (const [i, m] of (input.methods ?? []).entries()) {
    const name = m.method.toLowerCase();
    if (name in methods)
      throw invalidInput([{ field: ['input', 'methods', String(i)], message: `method ${m.method} is given twice` }]);
    methods[name] = m.weight;
  }
  return {
    kind: 'FACT_CHECK_SUBMIT',
    ...compact({ name: input.name, fileId: input.fileId, context: input.context }),
    ...(input.items
      ? {
          items: input.items.map((item) =>
            compact({ content: item.content, idempotencyKey: item.idempotencyKey, context: item.context }),
          ) as FactCheckSubmit['items'],
        }
      : {}),
    ...(input.methods ? { methods } : {}),
    ...(input.options ? { options: compact(input.options) } : {}),
  };
}

/** `uploadFactCheckFile`'s file. */
export function toFactCheckUpload(file: File): FactCheckUpload {
  return {
    kind: 'FACT_CHECK_UPLOAD',
    file,
    fileName: file.name || 'upload',
    ...(file.type ? { contentType: file.type } : {}),
  };
}

/** The Gameball operation of each field of `SubmitGameballBatchInput`. */
const OPERATIONS: Record<keyof Omit<SubmitGameballBatchInput, '__typename'>, GameballOperation> = {
  customers: 'customers',
  orders: 'orders',
  orderTransactions: 'orders/transactions',
  balanceInquiry: 'balance-inquiry',
  balanceAdjustment: 'balance-adjustment',
  cashback: 'cashback',
  redeem: 'redeem',
  events: 'events',
};

/** `submitGameballBatch`'s input: exactly one operation field, its items as Gameball's wire items. */
export function toGameballSubmit(input: SubmitGameballBatchInput): GameballSubmit {
  const given = (Object.keys(OPERATIONS) as (keyof typeof OPERATIONS)[]).filter((k) => input[k] != null);
  if (given.length !== 1)
    throw invalidInput([
      {
        field: ['input'],
        message: `set exactly one operation of ${Object.keys(OPERATIONS).join(', ')}; got ${given.length}`,
      },
    ]);
  const field = given[0]!;
  const items = (input[field] as unknown[]).map((item) => {
    if (item === null || typeof item !== 'object' || field === 'balanceInquiry' || field === 'redeem') return item;
    const record = compact(item as Record<string, unknown>);
    if (field === 'orders') record.orderDate = iso(record.orderDate as Date);
    if (field === 'cashback' && record.transactionTime) record.transactionTime = iso(record.transactionTime as Date);
    if (field === 'customers' && record.customerAttributes)
      record.customerAttributes = compact(record.customerAttributes as Record<string, unknown>);
    return record;
  });
  return { kind: 'GAMEBALL_SUBMIT', operation: OPERATIONS[field], items };
}

function resources(list: unknown[], path: string): Record<string, unknown>[] {
  return list.map((r, i) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r))
      throw invalidInput([{ field: ['input', path, String(i)], message: 'each resource must be a JSON object' }]);
    return r as Record<string, unknown>;
  });
}

/** `submitReachResources`'s input. */
export function toReachSubmit(input: SubmitReachResourcesInput): ReachResourcesWrite {
  return {
    kind: 'REACH_SUBMIT',
    schema: input.schema,
    resources: resources(input.resources, 'resources'),
    ...(input.onConflict ? { onConflict: input.onConflict === 'REJECT' ? 'reject' : 'upsert' } : {}),
    ...(input.ignoreUnknownFields != null ? { ignoreUnknownFields: input.ignoreUnknownFields } : {}),
    ...(input.dependencyWaitTimeoutSeconds != null
      ? { dependencyWaitTimeout: input.dependencyWaitTimeoutSeconds }
      : {}),
  };
}

/** `patchReachResources`'s input. */
export function toReachPatch(input: PatchReachResourcesInput): ReachResourcesWrite {
  return {
    kind: 'REACH_PATCH',
    schema: input.schema,
    resources: resources(input.resources, 'resources'),
    ...(input.ignoreUnknownFields != null ? { ignoreUnknownFields: input.ignoreUnknownFields } : {}),
  };
}

/** `deleteReachResources`'s input. */
export function toReachDelete(input: DeleteReachResourcesInput): ReachDelete {
  return {
    kind: 'REACH_DELETE',
    schema: input.schema,
    externalIds: input.externalIds ?? [],
    cascade: input.cascade ?? false,
    deleteAll: input.deleteAll ?? false,
    dryRun: input.dryRun ?? false,
  };
}
