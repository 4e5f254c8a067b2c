/**
 * The webhook payload is versioned (issue 33, docs/notifications.md "Payload"): `data.batch` is rendered through
 * the released document `src/graphql/documents/webhook-batch.v1.graphql`, which must stay valid against the served
 * schema, and a delivered payload must keep the committed example's shape (its fields, their types, `null`s), so a
 * schema or resolver change cannot silently change what receivers get.
 */
import { readFileSync } from 'node:fs';
import { parse, validate } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import { createSchema } from '../../src/graphql/schema.js';
import { PROVIDER_DEFINITIONS } from '../../src/providers/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { until } from '../helpers/until.js';
import { closeReceivers, NOTIFY_ENV, registerReceiver } from '../helpers/webhooks.js';

const DOCUMENT = new URL('../../src/graphql/documents/webhook-batch.v1.graphql', import.meta.url);
const EXAMPLE = new URL('../fixtures/webhooks/batch-finished.v1.json', import.meta.url);

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  await closeReceivers();
});

/** The shape of a JSON value: each leaf replaced by its type, so times and ids that vary from run to run do not. */
function shapeOf(value: unknown): unknown {
  if (value === null) return null;
  if (Array.isArray(value)) return value.map(shapeOf);
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shapeOf(v)]));
  return typeof value;
}

describe('webhook payload v1', () => {
  it('is rendered through a document that is valid against the served schema', () => {
    const errors = validate(createSchema(PROVIDER_DEFINITIONS), parse(readFileSync(DOCUMENT, 'utf8')));
    expect(errors.map((e) => e.message)).toEqual([]);
  });

  it("keeps the committed example's shape", async () => {
    h = await startHarness({
      seed: 37,
      batchCount: 10,
      env: NOTIFY_ENV,
    });
    const { receiver } = await registerReceiver(h.gql, {
      events: ['BATCH_FAILED', 'BATCH_SUCCEEDED', 'BATCH_PARTIALLY_SUCCEEDED'],
    });
    await h.gql(
      'mutation { submitFactCheckBatch(input: { items: [{ content: "a" }, { content: "b" }] }) { batch { id } } }',
    );
    const harness = h;
    await until(
      () => {
        harness.clock.advance(5_000);
        return receiver.deliveries.length > 0;
      },
      20_000,
      'a terminal delivery',
    );
    const example = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as unknown;
    const body = receiver.deliveries[0]!.body as { type: string; data: { batch: { status: string } } };
    expect(shapeOf(body)).toEqual(shapeOf(example));
    expect(body.type).toBe(`batch.${body.data.batch.status.toLowerCase()}`);
  });
});
