import type { IncomingHttpHeaders } from 'node:http';
import type { ProviderWebhook, WebhookOutcome, WebhookParse, WebhookRefusal } from '../../webhooks/types.js';
import { FACT_CHECK_ID } from './batch-id.js';
import { CHECK_SIGNATURE_HEADER, SIGNATURE_TOLERANCE_MS, verify } from './webhook-signature.js';

/** The path Check posts its events to. */
const CHECK_WEBHOOK_PATH = '/webhooks/check';

/** The batch events the gateway acts on. */
const BATCH_EVENTS = new Set(['batch.completed', 'batch.failed']);

const refuse = (status: number, outcome: WebhookOutcome, message: string): WebhookRefusal => ({
  ok: false,
  status,
  outcome,
  message,
});

/**
 * A Check event: the signature (`X-Check-Signature`, `webhook-signature.ts`) and its time first, then
 * the envelope `{ id: "evt_…", type, data: { id: "batch_…" } }` (docs/providers.md). Only
 * `batch.completed` and `batch.failed` are acted on; a refusal names what is wrong, never echoing the body.
 */
function parseCheckWebhook(raw: Buffer, headers: IncomingHttpHeaders, secret: string, now: number): WebhookParse {
  const header = headers[CHECK_SIGNATURE_HEADER];
  const checked = verify(secret, typeof header === 'string' ? header : undefined, raw, now, SIGNATURE_TOLERANCE_MS);
  if (!checked.ok) {
    if (checked.fault === 'stale')
      return refuse(401, 'stale_timestamp', 'the signature time is more than 5 minutes from now');
    return refuse(401, 'invalid_signature', 'missing or invalid X-Check-Signature');
  }
  let event: unknown;
  try {
    event = JSON.parse(raw.toString('utf8'));
  } catch {
    return refuse(400, 'invalid_json', 'the body is not JSON');
  }
  const e = event as { id?: unknown; type?: unknown; data?: { id?: unknown } | null } | null;
  if (typeof e !== 'object' || e === null || Array.isArray(e))
    return refuse(400, 'invalid_event', 'the event is not an object');
  if (typeof e.id !== 'string' || !/^evt_[A-Za-z0-9_-]{1,128}$/.test(e.id))
    return refuse(400, 'invalid_event', 'the event has no valid id ("evt_…")');
  if (typeof e.type !== 'string') return refuse(400, 'invalid_event', 'the event has no type');
  if (!BATCH_EVENTS.has(e.type))
    return refuse(400, 'unsupported_event_type', 'only batch.completed and batch.failed are accepted');
  const batchId = e.data?.id;
  if (typeof batchId !== 'string' || !FACT_CHECK_ID.test(batchId))
    return refuse(400, 'invalid_event', 'data.id is not a Check batch id');
  return { ok: true, eventId: e.id, providerBatchId: batchId, type: e.type };
}

/** Check's webhook (`FACTCHECK_WEBHOOK_SECRET`), given the secret of its settings. */
export function checkWebhook<S>(secret: (settings: S) => string | undefined): ProviderWebhook<S> {
  return {
    path: CHECK_WEBHOOK_PATH,
    label: 'Check',
    // Event ids are kept as `check:<id>` (as before the receiver was generic), so replicas agree across a rollout.
    eventNamespace: 'check',
    toleranceMs: SIGNATURE_TOLERANCE_MS,
    secret,
    parse: parseCheckWebhook,
  };
}
