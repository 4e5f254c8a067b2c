import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_CSP, useDashboard } from '../../src/http/dashboard.js';
import { JWT_TEST_ENV } from '../helpers/auth.js';
import { ensureBuilt, ROOT } from '../helpers/build.js';
import { startHarness, type Harness } from '../helpers/harness.js';

/** How the gateway serves the dashboard's bundle: no token, no CDN, compressed, cached by ETag. */
let h: Harness;
let origin: string;
beforeAll(async () => {
  await ensureBuilt();
  // In JWT mode: the page and its assets need no token, its data does.
  h = await startHarness({ batchCount: 5, env: JWT_TEST_ENV });
  origin = new URL(h.url).origin;
}, 180_000);
afterAll(async () => {
  await h?.close();
});

describe('the dashboard over HTTP', () => {
  it('redirects / to /dashboard/ and serves the page without a token, with its CSP', async () => {
    const root = await fetch(`${origin}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/dashboard/');
    for (const path of ['/dashboard', '/dashboard/', '/dashboard/?status=RUNNING']) {
      const page = await fetch(`${origin}${path}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('cache-control')).toBe('no-cache');
      expect(page.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
      const html = await page.text();
      expect(html).toContain('<div id="root">');
      // Every asset is the gateway's own: no other origin is referenced.
      expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    }
    // The data does need one.
    const data = await h.gql('{ providers { provider } }');
    expect(data.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('serves hashed assets for a year, compressed per Accept-Encoding, and answers 304 to a known ETag', async () => {
    const html = await (await fetch(`${origin}/dashboard/`)).text();
    const script = /src="(\/dashboard\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const plain = await fetch(`${origin}${script}`, { headers: { 'accept-encoding': 'identity' } });
    expect(plain.status).toBe(200);
    expect(plain.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(plain.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const body = Buffer.from(await plain.arrayBuffer());
    const file = readdirSync(join(ROOT, 'dist', 'dashboard', 'assets')).find((f) => script.endsWith(f));
    expect(file).toBeDefined();
    // fetch decodes br and gzip itself; node's http gives the bytes as sent.
    const raw = async (encoding: string) => {
      const { request } = await import('node:http');
      return new Promise<{ headers: Record<string, unknown>; body: Buffer; status: number }>((resolve, reject) => {
        const req = request(`${origin}${script}`, { headers: { 'accept-encoding': encoding } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks), status: res.statusCode! }));
        });
        req.on('error', reject);
        req.end();
      });
    };
    const br = await raw('gzip, br');
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.body).equals(body)).toBe(true);
    expect(br.body.length).toBeLessThan(body.length / 2);
    expect(br.headers.vary).toMatch(/Accept-Encoding/);
    const gz = await raw('gzip');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).equals(body)).toBe(true);
    const again = await fetch(`${origin}${script}`, {
      headers: { 'accept-encoding': 'br', 'if-none-match': String(br.headers.etag) },
    });
    expect(again.status).toBe(304);
  });

  it('answers 404 outside the bundle, and 503 (saying how to build it) when there is no build', async () => {
    for (const path of ['/dashboard/assets/nope.js', '/dashboard/../package.json', '/dashboard/%2e%2e/package.json'])
      expect((await fetch(`${origin}${path}`)).status, path).toBe(404);
    expect((await fetch(`${origin}/dashboard/src/main.tsx`)).status).toBe(404);

    const empty = mkdtempSync(join(tmpdir(), 'batchql-dashboard-'));
    const yoga = createYoga({ plugins: [useDashboard({ dir: empty })], graphiql: false, logging: false });
    const missing = await yoga.fetch('http://localhost/dashboard/');
    expect(missing.status).toBe(503);
    expect(await missing.text()).toContain('npm run build');
    // A build that appears later is served at once (the page is read again when it changes on disk).
    writeFileSync(join(empty, 'index.html'), '<!doctype html><p>built</p>');
    const built = await yoga.fetch('http://localhost/dashboard/');
    expect(built.status).toBe(200);
    expect(await built.text()).toContain('built');
  });
});
