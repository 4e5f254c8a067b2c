import type { CircuitStateName } from '../../upstream/policy.js';
import { createUpstreamHttp, type UpstreamHttpOptions } from '../../upstream/stack.js';
import type { paths } from './__generated__/openapi.js';
import type { FactCheckCreateRequest } from './types.js';

/** Credentials and limits of the Check client. */
export interface FactCheckClientOptions extends Omit<UpstreamHttpOptions, 'provider' | 'headers'> {
  /** A `vfy_...` key, sent as `Authorization: Bearer`. */
  apiKey: string;
}

/** Check's batch endpoints; results are unchecked JSON for the adapter to validate. */
export interface FactCheckClient {
  /** The circuit breaker's state for this provider. */
  circuit(): CircuitStateName;
  /** Background calls per ms its request budget allows (Infinity: no limit). */
  pollRate(): number;
  /** Until when (ms since the epoch) its own rate-limit headers hold calls back; undefined: not paused. */
  pausedUntil(): number | undefined;
  /** The most interactive calls one request could get within `withinMs` (Infinity: no limit). */
  interactiveCapacity(withinMs: number): number;
  getBatch(id: string, signal?: AbortSignal): Promise<unknown>;
  /** `GET /v1/batch?limit&offset&status`. */
  listBatches(query: { limit: number; offset: number; status?: string }, signal?: AbortSignal): Promise<unknown>;
  /** `GET /v1/batch/{id}/results?limit&offset`. */
  getResults(id: string, query: { limit: number; offset: number }, signal?: AbortSignal): Promise<unknown>;
  /** `POST /v1/batch` (one attempt, never abandoned once sent). */
  createBatch(body: FactCheckCreateRequest, signal?: AbortSignal): Promise<unknown>;
  /** `POST /v1/batch/upload`, the file streamed as the multipart field `file`. */
  uploadFile(file: Blob, fileName: string, contentType?: string, signal?: AbortSignal): Promise<unknown>;
  /** `POST /v1/batch/{id}/cancel`. */
  cancelBatch(id: string, signal?: AbortSignal): Promise<unknown>;
  close(): Promise<void>;
}

/** Creates the Check HTTP client on an undici pool. */
export function createFactCheckHttpClient(options: FactCheckClientOptions): FactCheckClient {
  const http = createUpstreamHttp({
    ...options,
    // The docs give the API base as https://api.check.ai/v1; paths here start with /v1, so a base ending
    // in /v1 is taken as the host.
    baseUrl: options.baseUrl.replace(/\/v1\/?$/, ''),
    provider: 'FACT_CHECK',
    routes: [
      '/v1/batch',
      '/v1/batch/upload',
      '/v1/batch/{id}',
      '/v1/batch/{id}/results',
      '/v1/batch/{id}/cancel',
    ] satisfies (keyof paths)[],
    headers: { authorization: `Bearer ${options.apiKey}` },
    // A 429 body carries `error.retryAfter` (seconds) beside the Retry-After header.
    retryAfterFromBody: (body) => {
      const seconds = (body as { error?: { retryAfter?: unknown } } | undefined)?.error?.retryAfter;
      return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
    },
  });
  return {
    getBatch: (id, signal) => http.request('GET', `/v1/batch/${encodeURIComponent(id)}`, {}, signal),
    listBatches: (q, signal) =>
      http.request('GET', '/v1/batch', { limit: String(q.limit), offset: String(q.offset), status: q.status }, signal),
    getResults: (id, q, signal) =>
      http.request(
        'GET',
        `/v1/batch/${encodeURIComponent(id)}/results`,
        { limit: String(q.limit), offset: String(q.offset) },
        signal,
      ),
    createBatch: (body, signal) =>
      http.request('POST', '/v1/batch', {}, signal, undefined, { kind: 'json', value: body }),
    uploadFile: (file, fileName, contentType, signal) =>
      http.request('POST', '/v1/batch/upload', {}, signal, undefined, {
        kind: 'file',
        field: 'file',
        file,
        fileName,
        ...(contentType ? { contentType } : {}),
      }),
    cancelBatch: (id, signal) => http.request('POST', `/v1/batch/${encodeURIComponent(id)}/cancel`, {}, signal),
    circuit: () => http.circuit?.() ?? 'CLOSED',
    pollRate: () => http.pollRate?.() ?? Number.POSITIVE_INFINITY,
    pausedUntil: () => http.pausedUntil?.(),
    interactiveCapacity: (withinMs) => http.interactiveCapacity?.(withinMs) ?? Number.POSITIVE_INFINITY,
    close: () => http.close(),
  };
}
