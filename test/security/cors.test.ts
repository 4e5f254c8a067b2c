import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { PROVIDER_DEFINITIONS } from '../../src/providers/index.js';

/** CORS: no cross-origin access unless `CORS_ORIGINS` grants it; `*` grants it without credentials. */
const ALLOWED = 'https://ops.example.com';
const FOREIGN = 'https://evil.example';
const QUERY = JSON.stringify({ query: '{ providers { provider } }' });

const post = (url: string, origin?: string, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}), ...headers },
    body: QUERY,
  });

const preflight = (url: string, origin: string) =>
  fetch(url, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type, authorization',
    },
  });

/** Every CORS response header of a response. */
const corsHeaders = (res: Response) =>
  Object.fromEntries([...res.headers].filter(([name]) => name.startsWith('access-control-')));

const varies = (res: Response) => (res.headers.get('vary') ?? '').split(/\s*,\s*/).map((v) => v.toLowerCase());

describe('without CORS_ORIGINS', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ batchCount: 5 });
  });
  afterAll(() => h.close());

  it('grants a foreign origin nothing, though the request itself is answered', async () => {
    const res = await post(h.url, FOREIGN);
    expect(res.status).toBe(200); // the browser, not the gateway, withholds it from the page
    expect(corsHeaders(res)).toEqual({});
    await res.body?.cancel();
  });

  it('grants nothing to a preflight from a foreign origin', async () => {
    const res = await preflight(h.url, FOREIGN);
    expect(corsHeaders(res)).toEqual({});
  });

  it('leaves same-origin requests as they were', async () => {
    const res = await post(h.url, new URL(h.url).origin);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: { providers: unknown[] } }).data.providers).toHaveLength(
      PROVIDER_DEFINITIONS.length,
    );
  });

  it('still refuses a cross-site simple request by CSRF prevention', async () => {
    const res = await fetch(`${h.url}?query=${encodeURIComponent('{ providers { provider } }')}`, {
      headers: { origin: FOREIGN, accept: 'application/json' },
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe(
      'CSRF_REFUSED',
    );
  });
});

describe('with CORS_ORIGINS naming origins', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ batchCount: 5, env: { CORS_ORIGINS: `http://localhost:5173, ${ALLOWED}` } });
  });
  afterAll(() => h.close());

  it('grants an origin on the list, with credentials, and says the answer varies by Origin', async () => {
    for (const origin of [ALLOWED, 'http://localhost:5173']) {
      const res = await post(h.url, origin);
      expect(res.status).toBe(200);
      expect(corsHeaders(res)).toEqual({
        'access-control-allow-origin': origin,
        'access-control-allow-credentials': 'true',
      });
      expect(varies(res)).toContain('origin');
      await res.body?.cancel();
    }
  });

  it('grants its preflight the method and headers asked for', async () => {
    const res = await preflight(h.url, ALLOWED);
    expect(res.status).toBe(204);
    expect(corsHeaders(res)).toEqual({
      'access-control-allow-origin': ALLOWED,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'content-type, authorization',
    });
    expect(varies(res)).toContain('origin');
  });

  it('refuses an origin off the list, one that only looks like it, and "null"', async () => {
    for (const origin of [FOREIGN, 'https://ops.example.com.evil.example', 'http://ops.example.com', 'null']) {
      const res = await post(h.url, origin);
      expect(corsHeaders(res), origin).toEqual({});
      expect(varies(res), origin).toContain('origin');
      await res.body?.cancel();
      expect(corsHeaders(await preflight(h.url, origin)), origin).toEqual({});
    }
  });

  it('does not lift CSRF prevention for an allowed origin', async () => {
    const res = await fetch(`${h.url}?query=${encodeURIComponent('{ providers { provider } }')}`, {
      headers: { origin: ALLOWED, accept: 'application/json' },
    });
    expect(res.status).toBe(403);
    await res.body?.cancel();
  });
});

describe('with CORS_ORIGINS=*', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ batchCount: 5, env: { CORS_ORIGINS: `*,${ALLOWED}` } });
  });
  afterAll(() => h.close());

  it('grants any origin, without credentials', async () => {
    const res = await post(h.url, FOREIGN);
    expect(res.status).toBe(200);
    const headers = corsHeaders(res);
    expect([FOREIGN, '*']).toContain(headers['access-control-allow-origin']);
    expect(headers['access-control-allow-credentials']).toBeUndefined();
    await res.body?.cancel();
    const pre = corsHeaders(await preflight(h.url, FOREIGN));
    expect([FOREIGN, '*']).toContain(pre['access-control-allow-origin']);
    expect(pre['access-control-allow-credentials']).toBeUndefined();
  });

  it('still gives an origin named beside * its credentials', async () => {
    const res = await post(h.url, ALLOWED);
    expect(corsHeaders(res)).toEqual({
      'access-control-allow-origin': ALLOWED,
      'access-control-allow-credentials': 'true',
    });
    await res.body?.cancel();
  });
});
