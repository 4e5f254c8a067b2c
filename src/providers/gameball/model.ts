/** Gameball's batches in the domain: the common fields plus everything Gameball returns. */
import type { Batch } from '../../domain/batch.js';
import type { WriteRequest } from '../../domain/writes.js';

/** One Gameball result or error item; fields are best-effort, `raw` is the item verbatim. */
export interface GameballItem {
  customerId: string | null;
  amount: number | null;
  points: number | null;
  transactionId: string | null;
  message: string | null;
  code: number | null;
  raw: Record<string, unknown>;
}

/** A Gameball batch: the common fields plus everything Gameball returns. */
export interface GameballBatch extends Batch {
  provider: 'GAMEBALL';
  providerProgress: number | null;
  totalItems: number | null;
  processedItems: number | null;
  failedItems: number | null;
  results: GameballItem[];
  itemErrors: GameballItem[];
}

/** Gameball's batch operations, as their path segments. */
export type GameballOperation =
  | 'customers'
  | 'orders'
  | 'orders/transactions'
  | 'balance-inquiry'
  | 'balance-adjustment'
  | 'cashback'
  | 'redeem'
  | 'events';

/** `POST /api/v4.0/integrations/batch/<operation>` with `{"body": items}`. */
export interface GameballSubmit extends WriteRequest {
  kind: 'GAMEBALL_SUBMIT';
  operation: GameballOperation;
  items: unknown[];
}
