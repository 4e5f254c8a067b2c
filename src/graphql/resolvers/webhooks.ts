import type { GraphQLResolveInfo } from 'graphql';
import type { GraphQLContext } from '../context.js';
import { bindingOf } from '../connections/cursor.js';
import { idPosition, keysetConnection, readKeyset, type KeysetArgs } from '../connections/keyset.js';
import { badInput, ErrorCode, GatewayError } from '../../domain/errors.js';
import { toGlobalId } from '../../domain/global-id.js';
import type { ProviderName } from '../../domain/batch.js';
import type { EndpointFilter } from '../../notifications/endpoints.js';
import type { EventType } from '../../notifications/events.js';
import type { Caller, EndpointInput, Notifications } from '../../notifications/service.js';
import type {
  MutationResolvers,
  QueryResolvers,
  WebhookDeliveryResolvers,
  WebhookEndpointResolvers,
  WebhookEventType,
  WebhookFilterInput,
} from '../__generated__/resolvers-types.js';
import { asPayload } from '../mutations/user-errors.js';
import { audit } from '../mutations/audit.js';
import { assertOperator } from './audit-log.js';

/** The most deliveries one page holds. */
const MAX_DELIVERY_PAGE = 100;

/** `BATCH_PARTIALLY_SUCCEEDED` ↔ `batch.partially_succeeded`: the enum value is the wire name, upper case. */
const toWire = (value: WebhookEventType) => value.toLowerCase().replace('_', '.') as EventType;
const fromWire = (type: string) => type.replace('.', '_').toUpperCase() as WebhookEventType;

/**
 * Notifications for this caller, after the operator-scope check: `NOTIFICATIONS_UNAVAILABLE` (with why) when they
 * are off on this gateway.
 */
function service(ctx: GraphQLContext): { notifications: Notifications; caller: Caller } {
  assertOperator(ctx);
  const notifications = ctx.gateway.notifications;
  if (!notifications?.service)
    throw new GatewayError(
      ErrorCode.NOTIFICATIONS_UNAVAILABLE,
      `webhooks are off on this gateway: ${notifications?.off ?? 'they need the ledger (LEDGER=on)'}`,
    );
  return {
    notifications: notifications.service,
    caller: { tenant: ctx.tenant, subject: ctx.principal.subject ?? null },
  };
}

function filterOf(input: WebhookFilterInput | null | undefined): EndpointFilter | null | undefined {
  if (input === undefined) return undefined;
  if (input === null) return null;
  const out: EndpointFilter = {};
  if (input.providers != null) out.providers = [...input.providers];
  if (input.statuses != null) out.statuses = [...input.statuses];
  if (input.batchTypes != null) out.batchTypes = [...input.batchTypes];
  if (input.namePrefix != null) out.namePrefix = input.namePrefix;
  if (input.failureRateThreshold != null) out.failureRateThreshold = input.failureRateThreshold;
  if (input.failureRateMinItems != null) out.failureRateMinItems = input.failureRateMinItems;
  return out;
}

/**
 * A mutation's body as a payload (a refusal the caller can act on in `userErrors`), audited as every write is:
 * `CREATED` for a new endpoint, `DONE` for a change to the endpoint or delivery `target` names.
 */
async function mutation<P extends object>(
  ctx: GraphQLContext,
  info: GraphQLResolveInfo,
  args: Record<string, unknown>,
  run: (notifications: Notifications, caller: Caller) => Promise<P>,
  target?: string,
) {
  const audited = target === undefined ? args : { ...args, id: target };
  try {
    const { notifications, caller } = service(ctx);
    const payload = await asPayload(() => run(notifications, caller));
    audit(ctx, info, audited, { payload, how: 'sent' });
    return payload;
  } catch (error) {
    audit(ctx, info, audited, { error });
    throw error;
  }
}

const deliveryId = (id: string) => {
  if (!/^\d{1,15}$/.test(id)) throw badInput('not a delivery id (`WebhookDelivery.id`)');
  return Number(id);
};

/** A page of one endpoint's deliveries (`Query.webhookDeliveries`, `WebhookEndpoint.deliveries`), cursors signed. */
async function deliveriesOf(ctx: GraphQLContext, endpoint: string, paging: KeysetArgs) {
  const { notifications, caller } = service(ctx);
  const binding = bindingOf({ field: 'webhookDeliveries', endpoint });
  const request = readKeyset(ctx, binding, paging, {
    what: 'the deliveries',
    issuer: 'list',
    max: MAX_DELIVERY_PAGE,
    size: 20,
    position: idPosition,
  });
  const rows = await notifications.deliveries(caller, endpoint, request);
  const { codec } = ctx.gateway.lists;
  return keysetConnection(
    request,
    rows,
    (row) => codec.encode(binding, { i: row.id }),
    (row) => row,
  );
}

export const webhookQueries: QueryResolvers = {
  webhookEndpoints: (_, __, ctx) => {
    const { notifications, caller } = service(ctx);
    return notifications.list(caller);
  },
  webhookDeliveries: (_, { endpoint, ...paging }, ctx) => deliveriesOf(ctx, endpoint, paging),
};

export const webhookMutations: MutationResolvers = {
  createWebhookEndpoint: (_, args, ctx, info) =>
    mutation(ctx, info, args, (n, caller) => {
      const { url, description, events, filter } = args.input;
      const input: Required<Pick<EndpointInput, 'url' | 'events'>> & EndpointInput = {
        url,
        events: events.map(toWire),
      };
      if (description !== undefined) input.description = description;
      const parsed = filterOf(filter);
      if (parsed !== undefined) input.filter = parsed;
      return n.create(caller, input);
    }),
  updateWebhookEndpoint: (_, args, ctx, info) =>
    mutation(
      ctx,
      info,
      args,
      (n, caller) => {
        const { id, url, description, events, filter } = args.input;
        const input: EndpointInput = {};
        if (url != null) input.url = url;
        if (description !== undefined) input.description = description;
        if (events != null) input.events = events.map(toWire);
        const parsed = filterOf(filter);
        if (parsed !== undefined) input.filter = parsed;
        return n.update(caller, id, input);
      },
      args.input.id,
    ),
  setWebhookEndpointEnabled: (_, args, ctx, info) =>
    mutation(ctx, info, args, (n, caller) => n.setEnabled(caller, args.id, args.enabled)),
  deleteWebhookEndpoint: (_, args, ctx, info) => mutation(ctx, info, args, (n, caller) => n.remove(caller, args.id)),
  rotateWebhookSecret: (_, args, ctx, info) => mutation(ctx, info, args, (n, caller) => n.rotate(caller, args.id)),
  testWebhookEndpoint: (_, args, ctx, info) => mutation(ctx, info, args, (n, caller) => n.test(caller, args.id)),
  redeliverWebhook: (_, args, ctx, info) =>
    mutation(ctx, info, args, (n, caller) => n.redeliver(caller, deliveryId(args.delivery)), args.delivery),
};

export const WebhookEndpoint: WebhookEndpointResolvers = {
  events: (endpoint) => endpoint.events.map(fromWire),
  filter: (endpoint) => ({
    providers: (endpoint.filter.providers as ProviderName[] | undefined) ?? null,
    statuses: (endpoint.filter.statuses as never) ?? null,
    batchTypes: endpoint.filter.batchTypes ?? null,
    namePrefix: endpoint.filter.namePrefix ?? null,
    failureRateThreshold: endpoint.filter.failureRateThreshold ?? null,
    failureRateMinItems: endpoint.filter.failureRateMinItems ?? null,
  }),
  state: (endpoint) => {
    if (!endpoint.enabled) return 'DISABLED';
    // Wall-clock time, as the worker that paused it keeps it.
    return endpoint.pausedUntil !== null && endpoint.pausedUntil > Date.now() ? 'PAUSED' : 'ACTIVE';
  },
  pausedUntil: (endpoint) => (endpoint.pausedUntil === null ? null : new Date(endpoint.pausedUntil)),
  tenant: (endpoint) => (endpoint.tenant === '' ? null : endpoint.tenant),
  createdAt: (endpoint) => new Date(endpoint.createdAt),
  updatedAt: (endpoint) => new Date(endpoint.updatedAt),
  activeSecrets: (endpoint, _, ctx) => ctx.gateway.notifications?.service?.signing(endpoint) ?? 0,
  deliveries: (endpoint, paging, ctx) => deliveriesOf(ctx, endpoint.id, paging),
};

export const WebhookDelivery: WebhookDeliveryResolvers = {
  id: (delivery) => String(delivery.id),
  eventType: (delivery) => fromWire(delivery.eventType),
  batchId: (delivery) =>
    delivery.provider && delivery.providerBatchId
      ? toGlobalId(delivery.provider as ProviderName, delivery.providerBatchId)
      : null,
  payload: (delivery) => (delivery.body === null ? null : (JSON.parse(delivery.body) as unknown)),
};
