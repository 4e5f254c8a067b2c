import type { CircuitStateName } from '../../upstream/policy.js';
import { createUpstreamHttp, type UpstreamHttpOptions } from '../../upstream/stack.js';
import type { paths } from './__generated__/openapi.js';

/** Credentials and limits of the Gameball client. */
export interface GameballClientOptions extends Omit<UpstreamHttpOptions, 'provider' | 'headers'> {
  apiKey: string;
  /** Every batch operation needs the secret key too. */
  secretKey: string;
}

/** Gameball's batch endpoints; results are unchecked JSON for the adapter to validate. */
export interface GameballClient {
  /** The circuit breaker's state for this provider. */
  circuit(): CircuitStateName;
  /** Background calls per ms its request budget allows (Infinity: no limit). */
  pollRate(): number;
  /** Until when (ms since the epoch) its own rate-limit headers hold calls back; undefined: not paused. */
  pausedUntil(): number | undefined;
  /** The most interactive calls one request could get within `withinMs` (Infinity: no limit). */
  interactiveCapacity(withinMs: number): number;
  getBatchStatus(batchId: string, signal?: AbortSignal): Promise<unknown>;
  stopBatch(batchId: string, signal?: AbortSignal): Promise<unknown>;
  /** `POST /api/v4.0/integrations/batch/<operation>` with `{"body": items}` (one attempt, never abandoned). */
  createBatch(operation: string, items: unknown[], signal?: AbortSignal): Promise<unknown>;
  close(): Promise<void>;
}

/** Creates the Gameball HTTP client on an undici pool (headers `apikey` and `secretkey`). */
export function createGameballHttpClient(options: GameballClientOptions): GameballClient {
  const http = createUpstreamHttp({
    ...options,
    provider: 'GAMEBALL',
    routes: [
      '/api/v4.0/integrations/batch/customers',
      '/api/v4.0/integrations/batch/orders',
      '/api/v4.0/integrations/batch/orders/transactions',
      '/api/v4.0/integrations/batch/balance-inquiry',
      '/api/v4.0/integrations/batch/balance-adjustment',
      '/api/v4.0/integrations/batch/cashback',
      '/api/v4.0/integrations/batch/redeem',
      '/api/v4.0/integrations/batch/events',
      '/api/v4.0/integrations/batches/{batchId}/status',
      '/api/v4.0/integrations/batches/{batchId}/stop',
    ] satisfies (keyof paths)[],
    headers: { apikey: options.apiKey, secretkey: options.secretKey },
  });
  const path = (id: string) => `/api/v4.0/integrations/batches/${encodeURIComponent(id)}`;
  return {
    getBatchStatus: (id, signal) => http.request('GET', `${path(id)}/status`, {}, signal),
    stopBatch: (id, signal) => http.request('POST', `${path(id)}/stop`, {}, signal),
    // The operation is one of the documented path segments (`orders/transactions` keeps its slash).
    createBatch: (operation, items, signal) =>
      http.request('POST', `/api/v4.0/integrations/batch/${operation}`, {}, signal, undefined, {
        kind: 'json',
        value: { body: items },
      }),
    circuit: () => http.circuit?.() ?? 'CLOSED',
    pollRate: () => http.pollRate?.() ?? Number.POSITIVE_INFINITY,
    pausedUntil: () => http.pausedUntil?.(),
    interactiveCapacity: (withinMs) => http.interactiveCapacity?.(withinMs) ?? Number.POSITIVE_INFINITY,
    close: () => http.close(),
  };
}
