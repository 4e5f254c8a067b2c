import { createUpstreamHttp, type UpstreamHttpOptions } from '../http.js';

/** Credentials and limits of the Check client. */
export interface FactCheckClientOptions extends Omit<UpstreamHttpOptions, 'provider' | 'headers'> {
  /** A `vfy_...` key, sent as `Authorization: Bearer`. */
  apiKey: string;
}

/** Check's batch endpoints; results are unchecked JSON for the adapter to validate. */
export interface FactCheckClient {
  getBatch(id: string, signal?: AbortSignal): Promise<unknown>;
  close(): Promise<void>;
}

/** Creates the Check HTTP client on an undici pool. */
export function createFactCheckHttpClient(options: FactCheckClientOptions): FactCheckClient {
  const http = createUpstreamHttp({ ...options, provider: 'FACT_CHECK', headers: { authorization: `Bearer ${options.apiKey}` } });
  return {
    getBatch: (id, signal) => http.request('GET', `/v1/batch/${encodeURIComponent(id)}`, {}, signal),
    close: () => http.close(),
  };
}
