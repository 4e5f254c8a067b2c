import type { CircuitStateName } from '../../upstream/policy.js';
import { createUpstreamHttp, type UpstreamHttp, type UpstreamHttpOptions } from '../../upstream/stack.js';
import type { ReachListQuery } from './types.js';
import type { paths } from './__generated__/openapi.js';

/** `GET /api/batches` query parameters as strings, keyed by the OpenAPI parameter names. */
type ReachListQueryParams = { [K in keyof ReachListQuery]?: string };

/** Credentials and limits of the Reach client. */
export interface ReachClientOptions extends Omit<UpstreamHttpOptions, 'provider' | 'headers'> {
  /** A Reach JWT (tenant- or partner-scoped), sent as `Authorization: Bearer`. */
  token: string;
  /** Sent as `reach-tenant-id`; required by Reach with a partner-scoped token. */
  tenantId?: string;
}

/** Reach's batch endpoints; results are unchecked JSON for the adapter to validate. */
export interface ReachClient {
  /** The circuit breaker's state for this provider. */
  circuit(): CircuitStateName;
  /** Background calls per ms its request budget allows (Infinity: no limit). */
  pollRate(): number;
  /** Until when (ms since the epoch) its own rate-limit headers hold calls back; undefined: not paused. */
  pausedUntil(): number | undefined;
  /** The most interactive calls one request could get within `withinMs` (Infinity: no limit). */
  interactiveCapacity(withinMs: number): number;
  getBatch(
    batchId: string,
    query: { includePendingDetails: boolean },
    signal?: AbortSignal,
    tenantId?: string,
  ): Promise<unknown>;
  /** `GET /api/batches` with the given query parameters (cursor, limit, batchType, sortBy, ...). */
  listBatches(query: ReachListQueryParams, signal?: AbortSignal, tenantId?: string): Promise<unknown>;
  /**
   * `POST`, `PATCH` or `DELETE /api/resources/{schema}/batch` with its query and JSON body, for
   * `tenantId` (one attempt, never abandoned once sent).
   */
  writeResources(
    method: 'POST' | 'PATCH' | 'DELETE',
    schema: string,
    query: Record<string, string | undefined>,
    body: unknown,
    tenantId?: string,
    signal?: AbortSignal,
  ): Promise<unknown>;
  close(): Promise<void>;
}

/** Reach's routes, naming the upstream spans (`tracing.ts`). */
const REACH_ROUTES = [
  '/api/batches',
  '/api/batches/{batchId}',
  '/api/resources/{schemaDefinitionNameOrId}/batch',
] satisfies (keyof paths)[];

/** Creates the Reach HTTP client on an undici pool. */
export function createReachHttpClient(options: ReachClientOptions): ReachClient {
  const headers: Record<string, string> = { authorization: `Bearer ${options.token}` };
  if (options.tenantId) headers['reach-tenant-id'] = options.tenantId;
  const http: UpstreamHttp = createUpstreamHttp({ ...options, provider: 'REACH', headers, routes: REACH_ROUTES });
  /** A per-call tenant (from the client's verified token) replaces the configured one. */
  const tenantHeader = (tenantId: string | undefined): Record<string, string> | undefined =>
    tenantId ? { 'reach-tenant-id': tenantId } : undefined;
  return {
    getBatch: (batchId, query, signal, tenantId) =>
      http.request(
        'GET',
        `/api/batches/${encodeURIComponent(batchId)}`,
        // Only send the flag when wanted: details cost Reach (and us) more.
        { includePendingDetails: query.includePendingDetails ? 'true' : undefined },
        signal,
        tenantHeader(tenantId),
      ),
    listBatches: (query, signal, tenantId) =>
      http.request('GET', '/api/batches', query, signal, tenantHeader(tenantId)),
    writeResources: (method, schema, query, body, tenantId, signal) =>
      http.request(
        method,
        `/api/resources/${encodeURIComponent(schema)}/batch`,
        query,
        signal,
        tenantHeader(tenantId),
        {
          kind: 'json',
          value: body,
        },
      ),
    circuit: () => http.circuit?.() ?? 'CLOSED',
    pollRate: () => http.pollRate?.() ?? Number.POSITIVE_INFINITY,
    pausedUntil: () => http.pausedUntil?.(),
    interactiveCapacity: (withinMs) => http.interactiveCapacity?.(withinMs) ?? Number.POSITIVE_INFINITY,
    close: () => http.close(),
  };
}
