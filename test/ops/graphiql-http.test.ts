import { request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRAPHIQL_CACHE_CONTROL } from '../../src/http/graphiql.js';
import { negotiateEncoding } from '../../src/http/static-body.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { graphiqlTabs } from '../../src/dev/demo-examples.js';
import { PROVIDER_DEFINITIONS } from '../../src/providers/index.js';

/** The GraphiQL page over plain HTTP: self-contained, compressed as asked, cacheable by ETag. */
interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A GET whose body is kept as sent (fetch would decompress it). */
function rawGet(url: string, headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const page = (url: string, acceptEncoding?: string, extra: Record<string, string> = {}) =>
  rawGet(url, {
    accept: 'text/html,application/xhtml+xml',
    ...(acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding }),
    ...extra,
  });

let h: Harness;
let identity: RawResponse;
beforeAll(async () => {
  h = await startHarness({ batchCount: 5, graphiql: true });
  identity = await page(h.url);
});
afterAll(() => h.close());

describe('the GraphiQL page', () => {
  it('is the whole of GraphiQL in one page, with no URL on unpkg.com or a CDN', () => {
    expect(identity.status).toBe(200);
    expect(identity.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect(Number(identity.headers['content-length'])).toBe(identity.body.length);
    const html = identity.body.toString('utf8');
    expect(html.length).toBeGreaterThan(5_000_000); // scripts, styles and workers inlined
    expect(html).toContain('<title>batchql</title>');
    expect(html).toContain('renderYogaGraphiQL');
    expect(html).not.toMatch(/unpkg\.com/i);
    expect(html).not.toMatch(/\/\/[a-z0-9.-]*(cdn|jsdelivr|cloudflare|googleapis|gstatic)[a-z0-9.-]*\//i);
    expect(html).not.toMatch(/<(script|link)\b[^>]*\b(src|href)=["']?(https?:)?\/\//i);
  });

  it('keeps the GraphiQL settings: title and the default query', () => {
    const html = identity.body.toString('utf8');
    expect(html).toMatch(/"title":"batchql"/);
    expect(html).toMatch(/"defaultQuery":"[^"]*query Providers/);
    expect(html).toContain('subscription Watch($id: ID!)');
  });

  it("opens the demo's page with its examples as tabs, each with its variables", async () => {
    const tabs = graphiqlTabs();
    const demo = await startHarness({ batchCount: 5, graphiql: true, graphiqlTabs: tabs });
    try {
      const html = (await page(demo.url)).body.toString('utf8');
      // The options are inlined as JSON: the tabs, each query and variables text as given, and no default query.
      expect(html).toContain(`"defaultTabs":${JSON.stringify(tabs)}`);
      expect(html).not.toContain('"defaultQuery"');
      expect(tabs[0]!.query).toContain('mutation SubmitClaims');
      expect(tabs[1]!.query).toContain('subscription WatchLive($id: ID!)');
      expect(JSON.parse(tabs[1]!.variables!)).toEqual({ id: expect.any(String) });
    } finally {
      await demo.close();
    }
  });

  it.each([
    ['br', 'br', brotliDecompressSync],
    ['gzip, deflate', 'gzip', gunzipSync],
    ['gzip, deflate, br, zstd', 'br', brotliDecompressSync],
    ['br;q=0.5, gzip', 'gzip', gunzipSync],
  ])(
    'is compressed for Accept-Encoding "%s" (%s), the same page once decompressed',
    async (accept, encoding, inflate) => {
      const res = await page(h.url, accept);
      expect(res.status).toBe(200);
      expect(res.headers['content-encoding']).toBe(encoding);
      expect(Number(res.headers['content-length'])).toBe(res.body.length);
      expect(res.body.length).toBeLessThan(identity.body.length / 3);
      expect(inflate(res.body).equals(identity.body)).toBe(true);
    },
  );

  it('is not compressed when the client does not ask (or refuses what we have)', async () => {
    for (const accept of ['identity', 'deflate', 'br;q=0, gzip;q=0']) {
      const res = await page(h.url, accept);
      expect(res.headers['content-encoding'], accept).toBeUndefined();
      expect(res.body.equals(identity.body), accept).toBe(true);
    }
  });

  it('carries cache headers: an ETag per encoding, no-cache, and Vary on Accept and Accept-Encoding', async () => {
    const [br, gz] = await Promise.all([page(h.url, 'br'), page(h.url, 'gzip')]);
    for (const res of [identity, br, gz]) {
      expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]+-(br|gzip|identity)"$/);
      expect(res.headers['cache-control']).toBe(GRAPHIQL_CACHE_CONTROL);
      expect(String(res.headers.vary)).toMatch(/\bAccept\b/);
      expect(String(res.headers.vary)).toMatch(/\bAccept-Encoding\b/);
    }
    expect(new Set([identity.headers.etag, br.headers.etag, gz.headers.etag]).size).toBe(3);
    expect(GRAPHIQL_CACHE_CONTROL).toMatch(/no-cache/);
  });

  it('answers a matching If-None-Match with 304 and no body; another ETag gets the page', async () => {
    const first = await page(h.url, 'br');
    const again = await page(h.url, 'br', { 'if-none-match': String(first.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.etag).toBe(first.headers.etag);
    expect(again.headers['cache-control']).toBe(GRAPHIQL_CACHE_CONTROL);
    const weak = await page(h.url, 'br', { 'if-none-match': `"other", W/${first.headers.etag}` });
    expect(weak.status).toBe(304);
    // Another encoding's ETag does not validate the br body.
    const other = await page(h.url, 'br', { 'if-none-match': String(identity.headers.etag) });
    expect(other.status).toBe(200);
    expect(other.headers['content-encoding']).toBe('br');
  });

  it('does not replace the API: a GET asking for JSON still runs the query', async () => {
    const res = await fetch(`${h.url}?query=${encodeURIComponent('{ providers { provider } }')}`, {
      headers: { accept: 'application/json', 'x-batchql-csrf': '1' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/json/);
    expect(((await res.json()) as { data: { providers: unknown[] } }).data.providers).toHaveLength(
      PROVIDER_DEFINITIONS.length,
    );
  });
});

describe('negotiateEncoding', () => {
  it.each([
    [null, 'identity'],
    ['', 'identity'],
    ['gzip', 'gzip'],
    ['x-gzip', 'gzip'],
    ['GZIP, BR', 'br'],
    ['gzip;q=1, br;q=0.9', 'gzip'],
    ['br;q=0', 'identity'],
    ['*', 'br'],
    ['*;q=0.5, br;q=0', 'gzip'],
    ['identity;q=0, *;q=0', 'identity'],
    ['deflate, compress', 'identity'],
  ])('%j gives %s', (header, expected) => {
    expect(negotiateEncoding(header)).toBe(expected);
  });
});
