import { readFileSync } from 'node:fs';
import { execute, parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import type { Batch, BatchHealth } from '../domain/batch.js';
import { toGlobalId } from '../domain/global-id.js';
import { parseReading } from '../ledger/reading.js';
import type { RenderPayload } from '../notifications/worker.js';
import type { GatewayServices, GraphQLContext } from './context.js';
import { createLoaders } from './loaders.js';
import { createNotes } from './notes.js';
import { RequestBudget } from './request-budget.js';

/** The payload's version: the `data.batch` document it is rendered through (`documents/webhook-batch.v<N>.graphql`). */
const PAYLOAD_VERSION = 1;

/** The released document of this version, read once (it sits beside this module in `dist/` too). */
const WEBHOOK_BATCH_DOCUMENT: DocumentNode = parse(
  readFileSync(new URL(`./documents/webhook-batch.v${PAYLOAD_VERSION}.graphql`, import.meta.url), 'utf8'),
);

/**
 * Renders webhook payloads (docs/notifications.md, "Payload"): `{ type, timestamp, data }`, where `data.batch` is
 * the event's reading of the batch (stored with the event, so a retry sends what happened then, not what is true
 * now) serialized by the released, versioned document `WEBHOOK_BATCH_DOCUMENT` through the served schema and its
 * resolvers, so a payload is what a client asking the same query would get, and a schema change cannot silently
 * change it (its test compares it with a committed example). The reading is primed into the loader: rendering
 * reads nothing upstream, and nothing from the ledger (the event carries its health).
 */
export function createPayloadRenderer(schema: GraphQLSchema, gateway: GatewayServices, log: Logger): RenderPayload {
  const { ledger: _ledger, ...offline } = gateway;
  return async (event) => {
    const detail = event.detail === null ? {} : (JSON.parse(event.detail) as Record<string, unknown>);
    const timestamp = new Date(event.at).toISOString();
    if (event.reading === null) return JSON.stringify({ type: event.type, timestamp, data: detail });
    const batch = parseReading(event.reading);
    if (typeof detail.health === 'string') {
      batch.health = detail.health as BatchHealth;
      batch.healthSince = new Date(event.at);
      batch.healthReason = typeof detail.reason === 'string' ? detail.reason : null;
    }
    const data = await renderBatch(schema, offline, log, batch);
    return JSON.stringify({
      type: event.type,
      timestamp,
      data: { payloadVersion: PAYLOAD_VERSION, ...detail, batch: data },
    });
  };
}

/** One batch through the document, its reading primed into a fresh loader: no upstream call can happen. */
async function renderBatch(
  schema: GraphQLSchema,
  gateway: GatewayServices,
  log: Logger,
  batch: Batch,
): Promise<unknown> {
  const budget = new RequestBudget(1, 10_000, undefined, 'webhooks');
  const loaders = createLoaders(gateway.providers, 1, budget);
  for (const includePendingDetails of [false, true])
    loaders.batch(batch.provider).prime({ providerBatchId: batch.providerBatchId, includePendingDetails }, batch);
  const context: Partial<GraphQLContext> = {
    gateway,
    loaders,
    notes: createNotes(),
    principal: {},
    client: { key: 'webhooks', kind: 'address' },
    budget,
    requestId: 'webhook',
    log,
  };
  const result = await execute({
    schema,
    document: WEBHOOK_BATCH_DOCUMENT,
    variableValues: { id: toGlobalId(batch.provider, batch.providerBatchId) },
    contextValue: context,
  });
  if (result.errors?.length) throw new Error(`webhook payload: ${result.errors.map((e) => e.message).join('; ')}`);
  return (result.data as { node: unknown }).node;
}
