import type { Kysely } from 'kysely';
import type { EndpointRow, LedgerTables } from '../ledger/tables.js';
import type { EventType } from './events.js';
import { deleteDeliveries } from './deliveries.js';

/** Which batches an endpoint hears about, beyond its tenant's (every part optional: absent matches all). */
export interface EndpointFilter {
  providers?: string[];
  /** The batch's status when the event happened. */
  statuses?: string[];
  batchTypes?: string[];
  /** Case-insensitive prefix of the batch's name; a batch without a name never matches one. */
  namePrefix?: string;
  /** `batch.failure_rate_exceeded`: the failure rate (failed ÷ processed, 0–1) it must exceed. */
  failureRateThreshold?: number;
  /** … once at least this many items were processed (a rate over three items says little). */
  failureRateMinItems?: number;
}

/** A signing secret: an old one keeps signing until `expiresAt` (the rotation's overlap). */
interface EndpointSecret {
  secret: string;
  createdAt: number;
  expiresAt: number | null;
}

/** An endpoint as the gateway uses it. */
export interface Endpoint {
  id: string;
  /** `''`: an operator without a tenant, who hears about every batch. */
  tenant: string;
  url: string;
  description: string | null;
  events: EventType[];
  filter: EndpointFilter;
  enabled: boolean;
  secrets: EndpointSecret[];
  createdAt: number;
  updatedAt: number;
  createdBy: string | null;
  consecutiveFailures: number;
  pausedUntil: number | null;
  pausedAt: number | null;
}

/** The failure-rate threshold's minimum of processed items when a rule does not say. */
export const DEFAULT_FAILURE_RATE_MIN_ITEMS = 10;

function endpointOf(row: EndpointRow): Endpoint {
  return {
    id: row.id,
    tenant: row.tenant,
    url: row.url,
    description: row.description,
    events: JSON.parse(row.events) as EventType[],
    filter: JSON.parse(row.filter) as EndpointFilter,
    enabled: row.enabled === 1,
    secrets: JSON.parse(row.secrets) as EndpointSecret[],
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    createdBy: row.created_by,
    consecutiveFailures: row.consecutive_failures,
    pausedUntil: row.paused_until === null ? null : Number(row.paused_until),
    pausedAt: row.paused_at === null ? null : Number(row.paused_at),
  };
}

function endpointRow(e: Endpoint): EndpointRow {
  return {
    id: e.id,
    tenant: e.tenant,
    url: e.url,
    description: e.description,
    events: JSON.stringify(e.events),
    filter: JSON.stringify(e.filter),
    enabled: e.enabled ? 1 : 0,
    secrets: JSON.stringify(e.secrets),
    created_at: e.createdAt,
    updated_at: e.updatedAt,
    created_by: e.createdBy,
    consecutive_failures: e.consecutiveFailures,
    paused_until: e.pausedUntil,
    paused_at: e.pausedAt,
  };
}

/** What an event's batch looked like when it happened, for the filter. */
export interface BatchFacts {
  provider: string;
  status: string;
  batchType: string | null;
  name: string | null;
}

/** True when `batch` passes the endpoint's filter (the event type and the tenant are checked apart). */
export function passesFilter(filter: EndpointFilter, batch: BatchFacts): boolean {
  if (filter.providers && !filter.providers.includes(batch.provider)) return false;
  if (filter.statuses && !filter.statuses.includes(batch.status)) return false;
  if (filter.batchTypes && (batch.batchType === null || !filter.batchTypes.includes(batch.batchType))) return false;
  if (filter.namePrefix !== undefined && filter.namePrefix !== '') {
    if (batch.name === null || !batch.name.toLowerCase().startsWith(filter.namePrefix.toLowerCase())) return false;
  }
  return true;
}

/**
 * Whether an endpoint of `tenant` may hear about a batch (docs/notifications.md, "Tenancy"), the ledger's listing
 * rule: an operator without a tenant hears about every batch; a tenant, about the batches of its own credential
 * scope (`tenant:<t>`: a tenant-scoped provider), and of a shared scope only those it submitted or saw.
 */
export function tenantMayRead(
  tenant: string,
  batch: { scope: string; submittedTenant: string | null; viewers: ReadonlySet<string> },
): boolean {
  if (tenant === '') return true;
  if (batch.scope.startsWith('tenant:')) return batch.scope === `tenant:${tenant}`;
  return batch.submittedTenant === tenant || batch.viewers.has(tenant);
}

/** The endpoints of a tenant (`undefined`: every tenant's, for an operator without one), oldest first. */
export async function listEndpoints(db: Kysely<LedgerTables>, tenant: string | undefined): Promise<Endpoint[]> {
  let query = db.selectFrom('notify_endpoints').selectAll().orderBy('created_at').orderBy('id');
  if (tenant !== undefined) query = query.where('tenant', '=', tenant);
  return (await query.execute()).map(endpointOf);
}

/** The enabled endpoints, every tenant's: what an event is matched against, and what deliveries are claimed for. */
export async function enabledEndpoints(db: Kysely<LedgerTables>): Promise<Endpoint[]> {
  return (await db.selectFrom('notify_endpoints').selectAll().where('enabled', '=', 1).execute()).map(endpointOf);
}

export async function findEndpoint(db: Kysely<LedgerTables>, id: string): Promise<Endpoint | undefined> {
  const row = await db.selectFrom('notify_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? endpointOf(row) : undefined;
}

export async function insertEndpoint(db: Kysely<LedgerTables>, endpoint: Endpoint): Promise<void> {
  await db.insertInto('notify_endpoints').values(endpointRow(endpoint)).execute();
}

export async function updateEndpoint(db: Kysely<LedgerTables>, endpoint: Endpoint): Promise<void> {
  const { id, ...rest } = endpointRow(endpoint);
  await db.updateTable('notify_endpoints').set(rest).where('id', '=', id).execute();
}

/** Deletes an endpoint with its deliveries and their attempts (its events stay while others deliver them). */
export async function deleteEndpoint(db: Kysely<LedgerTables>, id: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await deleteDeliveries(trx, 'endpoint_id', [id]);
    await trx.deleteFrom('notify_endpoints').where('id', '=', id).execute();
  });
}
