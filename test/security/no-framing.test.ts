import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createYoga, type Plugin } from 'graphql-yoga';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_CSP, dashboardFile, useDashboard } from '../../src/http/dashboard.js';
import { GRAPHIQL_CSP } from '../../src/http/graphiql.js';
import { useNoFraming, withNoFraming } from '../../src/http/no-framing.js';
import { launchChromium } from '../helpers/browser.js';
import { ensureBuilt } from '../helpers/build.js';
import { startHarness, type Harness } from '../helpers/harness.js';

/**
 * Issue 23, part 5: no page of the gateway can be framed (clickjacking of the dashboard's Cancel and New
 * batch), and no spelling of a dashboard path serves the page without its CSP.
 */

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

let h: Harness;
let origin: URL;
beforeAll(async () => {
  await ensureBuilt();
  h = await startHarness({ batchCount: 3, graphiql: true });
  origin = new URL(h.url);
}, 180_000);
afterAll(async () => {
  await h?.close();
});

/** A request with `path` sent exactly as written (fetch would normalise it first). */
function raw(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: origin.hostname, port: origin.port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const isHtml = (a: Answer) => String(a.headers['content-type'] ?? '').startsWith('text/html');
const frameAncestorsNone = (a: Answer) =>
  String(a.headers['content-security-policy'] ?? '')
    .split(';')
    .map((d) => d.trim())
    .includes("frame-ancestors 'none'");

describe('dashboard paths are decided after decoding', () => {
  it.each([
    '/dashboard/assets/..%2Findex.html',
    '/dashboard/assets/..%2findex.html',
    '/dashboard/assets/%2e%2e%2findex.html',
    '/dashboard/assets/%2E%2E%2Findex.html',
    '/dashboard/assets/.%2e%2Findex.html',
    '/dashboard/assets/.%2F..%2Findex.html',
    '/dashboard/assets%2F..%2Findex.html',
    '/dashboard/assets/..%5Cindex.html',
    '/dashboard/assets/..%5cindex.html',
    '/dashboard/assets/%2e%2e%5cindex.html',
    '/dashboard/assets/x%5C..%5C..%5Cindex.html',
    '/dashboard/assets//..%2Findex.html',
    '/dashboard//assets/..%2Findex.html',
    '/dashboard/assets/..%2F%2Findex.html',
    '//dashboard/assets/..%2Findex.html',
    '/dashboard/assets/%252e%252e%252findex.html',
    '/dashboard/assets/..%00/index.html',
    '/dashboard/assets/%E0%A4%A.js',
    '/dashboard/assets/..%2F..%2Fpackage.json',
    '/dashboard/assets/..%2F..%2F..%2Fpackage.json',
    '/dashboard/%2e%2e%2fpackage.json',
    '/dashboard//',
    '/dashboard/assets/',
  ])('%s is a 404, never the page', async (path) => {
    for (const method of ['GET', 'HEAD']) {
      const answer = await raw(path, { accept: 'text/html' }, method);
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(isHtml(answer)).toBe(false);
      expect(answer.body).not.toContain('<div id="root">');
    }
  });

  it.each([
    '/dashboard',
    '/dashboard/',
    '/dashboard/index.html',
    '/dashboard/index%2Ehtml',
    '/dashboard/%69ndex.html',
    // The URL parser resolves these before the gateway sees them: they name the page, and get its CSP.
    '/dashboard/./index.html',
    '/dashboard/assets/%2e%2e/index.html',
    '/dashboard/assets/../index.html',
    '/dashboard/assets/..\\index.html',
  ])('%s serves the page with its full CSP and X-Frame-Options', async (path) => {
    const answer = await raw(path, { accept: 'text/html' });
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('<div id="root">');
    expect(answer.headers['content-security-policy']).toBe(DASHBOARD_CSP);
    expect(answer.headers['x-frame-options']).toBe('DENY');
  });

  it('still serves the hashed assets', async () => {
    const page = await raw('/dashboard/');
    const script = /src="(\/dashboard\/assets\/[^"]+\.js)"/.exec(page.body)![1]!;
    const asset = await raw(script);
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    // An encoded spelling of the same file inside assets/ is that file.
    const encoded = await raw(script.replace(/\.js$/, '%2Ejs'));
    expect(encoded.status).toBe(200);
    expect(encoded.body).toBe(asset.body);
  });

  it('dashboardFile: the page, a file inside assets/, or nothing', () => {
    const dir = join(tmpdir(), 'dash');
    expect(dashboardFile(dir, '')).toEqual({ file: join(dir, 'index.html'), page: true });
    expect(dashboardFile(dir, 'index%2ehtml')).toEqual({ file: join(dir, 'index.html'), page: true });
    expect(dashboardFile(dir, 'assets/a.js')).toEqual({ file: join(dir, 'assets', 'a.js'), page: false });
    expect(dashboardFile(dir, 'assets/sub%2Fb.css')).toEqual({
      file: join(dir, 'assets', 'sub', 'b.css'),
      page: false,
    });
    for (const rest of [
      'assets/..%2Findex.html',
      'assets/%2e%2e%2F..%2Fetc%2Fpasswd',
      'assets/.',
      'assets/a%5C..%5C..%5Cindex.html',
      'assets//a.js',
      'assets/%ZZ',
      'favicon.ico',
      'src/main.tsx',
      'assets',
    ])
      expect(dashboardFile(dir, rest), rest).toBeUndefined();
  });
});

describe('every HTML response carries frame-ancestors none and X-Frame-Options DENY', () => {
  it('over every route the gateway has, GET and HEAD, fresh and revalidated', async () => {
    const paths = [
      '/',
      '/dashboard',
      '/dashboard/',
      '/dashboard/index.html',
      '/dashboard/assets/nope.js',
      '/graphql',
      '/graphql/',
      '/graphql?query=%7B__typename%7D',
      '/health',
      '/ready',
      '/metrics',
      '/webhooks/check',
      '/nope',
      '/nope.html',
    ];
    const html: string[] = [];
    for (const path of paths)
      for (const method of ['GET', 'HEAD']) {
        const answer = await raw(path, { accept: 'text/html', 'accept-encoding': 'gzip' }, method);
        if (!isHtml(answer)) continue;
        html.push(`${method} ${path}`);
        expect(frameAncestorsNone(answer), `${method} ${path}`).toBe(true);
        expect(answer.headers['x-frame-options'], `${method} ${path}`).toBe('DENY');
        // A revalidation (304) refreshes the cached headers: it carries them too.
        const etag = answer.headers.etag;
        if (!etag) continue;
        const again = await raw(path, { accept: 'text/html', 'accept-encoding': 'gzip', 'if-none-match': etag });
        expect(again.status, `revalidated ${path}`).toBe(304);
        expect(frameAncestorsNone(again), `revalidated ${path}`).toBe(true);
        expect(again.headers['x-frame-options']).toBe('DENY');
      }
    // The pages are among them: the dashboard and GraphiQL.
    for (const page of ['GET /dashboard/', 'HEAD /dashboard/', 'GET /graphql', 'GET /graphql/'])
      expect(html).toContain(page);
    const graphiql = await raw('/graphql', { accept: 'text/html' });
    expect(graphiql.headers['content-security-policy']).toBe(GRAPHIQL_CSP);
  });

  it('useNoFraming marks HTML that other plugins make, and leaves other responses alone', async () => {
    const page = (body: string, headers: Record<string, string>): Plugin => ({
      onRequest({ url, fetchAPI, endResponse }) {
        if (url.pathname === body) endResponse(new fetchAPI.Response(`<p>${body}</p>`, { headers }));
      },
    });
    const yoga = createYoga({
      graphiql: false,
      logging: false,
      plugins: [
        page('/bare', { 'content-type': 'text/html' }),
        page('/csp', { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'self'" }),
        page('/framable', {
          'content-type': 'application/xhtml+xml',
          'content-security-policy': "frame-ancestors https://evil.example; img-src 'self'",
        }),
        page('/json', { 'content-type': 'application/json' }),
        useNoFraming(),
      ],
    });
    const get = (path: string) => yoga.fetch(`http://gateway.test${path}`);
    const bare = await get('/bare');
    expect(bare.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
    expect(bare.headers.get('x-frame-options')).toBe('DENY');
    expect((await get('/csp')).headers.get('content-security-policy')).toBe(
      "default-src 'self'; frame-ancestors 'none'",
    );
    expect((await get('/framable')).headers.get('content-security-policy')).toBe(
      "img-src 'self'; frame-ancestors 'none'",
    );
    const json = await get('/json');
    expect(json.headers.get('content-security-policy')).toBeNull();
    expect(json.headers.get('x-frame-options')).toBeNull();
    expect(withNoFraming(DASHBOARD_CSP)).toBe(DASHBOARD_CSP);
  });
});

describe('in a browser, another origin cannot frame the pages', () => {
  let browser: Browser;
  let parent: Server;
  let parentPort: number;
  beforeAll(async () => {
    browser = await launchChromium();
    // The framing page, at http://localhost:<port>; its control frame comes from http://127.0.0.1:<port>,
    // another origin, with no headers against framing.
    parent = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      if (req.url === '/control') return void res.end('<!doctype html><p id="marker">framed</p>');
      const gateway = origin.origin;
      res.end(
        '<!doctype html>' +
          `<iframe id="dashboard" src="${gateway}/dashboard/"></iframe>` +
          `<iframe id="graphiql" src="${gateway}/graphql"></iframe>` +
          `<iframe id="encoded" src="${gateway}/dashboard/assets/..%2Findex.html"></iframe>` +
          `<iframe id="control" src="http://127.0.0.1:${parentPort}/control"></iframe>`,
      );
    });
    await new Promise<void>((resolve) => parent.listen(0, '127.0.0.1', resolve));
    parentPort = (parent.address() as AddressInfo).port;
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => parent?.close(resolve));
  });

  it('the dashboard and GraphiQL do not load in a frame; the encoded path is no page', async () => {
    const page = await browser.newPage();
    const refusals: string[] = [];
    page.on('console', (m) => {
      if (m.text().includes("frame-ancestors 'none'")) refusals.push(m.text());
    });
    try {
      await page.goto(`http://localhost:${parentPort}/`, { waitUntil: 'load', timeout: 30_000 });
      const frameOf = async (id: string) => (await page.locator(`#${id}`).elementHandle())!.contentFrame();
      // The control frame, from another origin too, loads: framing as such works in this browser.
      const control = (await frameOf('control'))!;
      await expect.poll(() => control.locator('#marker').count(), { timeout: 10_000 }).toBe(1);
      // The gateway's pages are refused: chromium puts its error page in their place.
      for (const id of ['dashboard', 'graphiql']) {
        const frame = (await frameOf(id))!;
        await expect.poll(() => frame.url(), { timeout: 10_000 }).toBe('chrome-error://chromewebdata/');
        expect(await frame.locator('#root, .graphiql-container').count()).toBe(0);
      }
      await expect.poll(() => refusals.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
      // What the clickjacking relied on: no page at all now.
      const encoded = (await frameOf('encoded'))!;
      await expect.poll(() => encoded.locator('body').innerText(), { timeout: 10_000 }).toContain('Not found');
      expect(await encoded.locator('#root').count()).toBe(0);
    } finally {
      await page.close();
    }
  });

  it('a dashboard build served from elsewhere with the same headers is refused as well', async () => {
    // The headers alone do it, whatever the page: a copy of the build in a directory of its own.
    const dir = mkdtempSync(join(tmpdir(), 'batchql-frame-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><div id="root">copy</div>');
    const yoga = createYoga({ graphiql: false, logging: false, plugins: [useDashboard({ dir })] });
    const copy = createServer(yoga);
    await new Promise<void>((resolve) => copy.listen(0, '127.0.0.1', resolve));
    const port = (copy.address() as AddressInfo).port;
    const page = await browser.newPage();
    try {
      await page.setContent(`<iframe id="copy" src="http://127.0.0.1:${port}/dashboard/"></iframe>`);
      const frame = (await (await page.locator('#copy').elementHandle())!.contentFrame())!;
      await expect.poll(() => frame.url(), { timeout: 10_000 }).toBe('chrome-error://chromewebdata/');
      // Opened directly (not framed), it loads.
      const direct = await page.goto(`http://127.0.0.1:${port}/dashboard/`);
      expect(direct?.status()).toBe(200);
      expect(await page.locator('#root').innerText()).toBe('copy');
    } finally {
      await page.close();
      await new Promise((resolve) => copy.close(resolve));
    }
  });
});
