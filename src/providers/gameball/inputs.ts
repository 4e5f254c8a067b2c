import { invalidInput } from '../../domain/errors.js';
import type { SubmitGameballBatchInput } from '../../graphql/__generated__/resolvers-types.js';
import { compact, iso } from '../../graphql/mutations/inputs.js';
import type { GameballOperation, GameballSubmit } from './model.js';

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
