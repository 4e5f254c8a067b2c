import { createRandom } from '../../../dev/simulators/clock.js';
import type { SimClock } from '../../../dev/simulators/clock.js';
import { createdBatch, type SimBatch } from '../../../dev/simulators/model.js';
import type { CreatedBatch, SimRequest, SimResponse } from '../../../dev/simulators/server.js';

/** Gameball's batch operations (`POST /api/v4.0/integrations/batch/<operation>`), as documented. */
const GAMEBALL_OPERATIONS = [
  'customers',
  'orders',
  'orders/transactions',
  'balance-inquiry',
  'balance-adjustment',
  'cashback',
  'redeem',
  'events',
] as const;

/** The most items one batch takes (documented). */
const GAMEBALL_MAX_ITEMS = 1_000;

/** Fields each operation's items must carry (bold in the docs); the others have no documented required field. */
const REQUIRED: Partial<Record<(typeof GAMEBALL_OPERATIONS)[number], readonly string[]>> = {
  customers: ['customerId'],
  orders: ['customerId', 'orderId', 'orderDate', 'totalPaid'],
  events: ['customerId', 'events'],
};

type Envelope = (status: number, code: number, type: string, message: string) => SimResponse;

/**
 * Gameball's batch creation on the simulator: `{"body": [...]}` of at most 1,000 items; 400 code
 * 3000 when the body is missing, 422 3011 beyond the limit, 422 3003 for an item without a
 * required field or with an invalid value, 422 9004 for a transaction or order id twice in one
 * batch; 200 `{jobId}` (a number) otherwise.
 */
export function createGameballWrites(o: {
  clock: SimClock;
  batches: SimBatch[];
  envelope: Envelope;
  created: CreatedBatch[];
  seed: number;
}) {
  const rand = createRandom(o.seed + 41);
  const taken = new Set(o.batches.map((b) => b.id));

  function problem(operation: string, items: unknown[]): SimResponse | undefined {
    const required = REQUIRED[operation as keyof typeof REQUIRED] ?? [];
    const seen = new Set<string>();
    for (const [i, item] of items.entries()) {
      if (operation === 'orders/transactions') {
        if (typeof item !== 'string' || item === '')
          return o.envelope(422, 3003, 'PAYLOAD_ERROR', `body[${i}] must be an order id (a non-empty string)`);
        continue;
      }
      if (item === null || typeof item !== 'object' || Array.isArray(item))
        return o.envelope(422, 3003, 'PAYLOAD_ERROR', `body[${i}] must be an object`);
      const record = item as Record<string, unknown>;
      for (const field of required)
        if (record[field] === undefined || record[field] === null || record[field] === '')
          return o.envelope(400, 3000, 'PAYLOAD_ERROR', `body[${i}].${field} is required`);
      if (operation === 'orders') {
        if (typeof record.orderDate !== 'string' || Number.isNaN(Date.parse(record.orderDate)))
          return o.envelope(422, 3003, 'PAYLOAD_ERROR', `body[${i}].orderDate must be an ISO-8601 UTC date`);
        if (typeof record.totalPaid !== 'number' || record.totalPaid < 0)
          return o.envelope(422, 3003, 'PAYLOAD_ERROR', `body[${i}].totalPaid must be a non-negative number`);
      }
      const txn = operation === 'orders' ? record.orderId : operation === 'cashback' ? record.transactionId : undefined;
      if (typeof txn === 'string') {
        if (seen.has(txn))
          return o.envelope(422, 9004, 'TRANSACTION_ERROR', `body[${i}]: duplicate transaction ID ${txn}`);
        seen.add(txn);
      }
    }
    return undefined;
  }

  function create(req: SimRequest, operation: string): SimResponse {
    const items = (req.body as { body?: unknown } | undefined)?.body;
    if (!Array.isArray(items) || items.length === 0)
      return o.envelope(400, 3000, 'PAYLOAD_ERROR', 'Missing arguments: "body" must be a non-empty array');
    if (items.length > GAMEBALL_MAX_ITEMS)
      return o.envelope(422, 3011, 'PAYLOAD_ERROR', `Exceeds limits: at most ${GAMEBALL_MAX_ITEMS} items per batch`);
    const refused = problem(operation, items);
    if (refused) return refused;
    let id = String(rand.int(100_000, 99_999_999));
    while (taken.has(id)) id = String(rand.int(100_000, 99_999_999));
    taken.add(id);
    const now = o.clock.now();
    o.batches.push(createdBatch(id, o.batches.length, now, items.length, { operation }));
    o.created.push({
      id,
      route: `POST /api/v4.0/integrations/batch/${operation}`,
      count: items.length,
      at: now,
      detail: { operation },
    });
    // Create answers the job id as a number; status and stop take it as a string (docs/providers.md).
    return { status: 200, body: { jobId: Number(id) } };
  }

  return { create };
}

/** The operation of a create path, or undefined. */
export function gameballOperationOf(path: string): string | undefined {
  const prefix = '/api/v4.0/integrations/batch/';
  if (!path.startsWith(prefix)) return undefined;
  const operation = path.slice(prefix.length);
  return (GAMEBALL_OPERATIONS as readonly string[]).includes(operation) ? operation : undefined;
}
