import type { IncomingHttpHeaders } from 'node:http';

/** How one webhook request ended (the `outcome` label of `batchql_webhooks_total`). */
export type WebhookOutcome =
  | 'settled'
  | 'not_terminal'
  | 'duplicate'
  | 'invalid_signature'
  | 'stale_timestamp'
  | 'invalid_json'
  | 'invalid_event'
  | 'unsupported_event_type'
  | 'too_large'
  | 'method_not_allowed'
  | 'confirm_failed'
  | 'unavailable';

/** Why a parser refused a request: its outcome label, HTTP status and a message for the sender (never the body). */
export interface WebhookRefusal {
  ok: false;
  status: number;
  outcome: WebhookOutcome;
  message: string;
}

/** A verified event about one of the provider's batches that the gateway acts on (it reads the batch to confirm). */
interface WebhookEvent {
  ok: true;
  /** The provider's event id: a redelivery has the same one, and is ignored. */
  eventId: string;
  /** The provider batch id the event is about (already checked to be one of the provider's ids). */
  providerBatchId: string;
  /** The provider's event type (logged). */
  type: string;
}

/**
 * What a provider's parser makes of a request: an event the gateway acts on, or a refusal. An event
 * the gateway does not act on (another type) is a refusal too (`unsupported_event_type`).
 */
export type WebhookParse = WebhookEvent | WebhookRefusal;

/** A provider's webhook as the generic receiver (`receiver.ts`) serves it, whatever the provider's settings. */
export interface WebhookParser {
  /** The route the provider posts its events to, such as `/webhooks/<name>`. */
  path: string;
  /** How logs and messages name the provider to people. */
  label: string;
  /** The namespace of its event ids in the seen-events store (the key is `<namespace>:<eventId>`). */
  eventNamespace: string;
  /** How far a signed time may be from now, either way: event ids are remembered longer (`seenEventTtlMs`). */
  toleranceMs: number;
  /**
   * Verifies the signature (over the raw bytes) and the signed time against `now`, then reads the
   * event. Never throws for a bad request, and never puts the body in a refusal's message.
   */
  parse(rawBody: Buffer, headers: IncomingHttpHeaders, secret: string, now: number): WebhookParse;
}

/** A provider's webhook (`ProviderDefinition.webhook`): served when the provider is configured and `secret` set. */
export interface ProviderWebhook<S> extends WebhookParser {
  /** Its signing secret, from the provider's settings; undefined: webhooks are off. */
  secret(settings: S): string | undefined;
}
