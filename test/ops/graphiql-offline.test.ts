import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { PROVIDER_DEFINITIONS } from '../../src/providers/index.js';

/**
 * GraphiQL in a real browser with no network but loopback: Debian's chromium (never a downloaded
 * one), driven by playwright-core. Every request to another host is refused and recorded, and
 * chromium's resolver knows no other host either; the editor must render and run a query.
 */
const SCREENSHOT = process.env.GRAPHIQL_SCREENSHOT;

const isLoopback = (url: string): boolean => {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'data:' || protocol === 'blob:') return true;
  return ['127.0.0.1', 'localhost', '[::1]'].includes(hostname);
};

let h: Harness;
let browser: Browser;
beforeAll(async () => {
  h = await startHarness({ batchCount: 20, graphiql: true });
  // Headless, no sandbox (CI runs as root), and a resolver that knows only loopback.
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

it('renders GraphiQL from the gateway alone and runs a query against the simulators', async () => {
  const doneId = h.sims.factCheck.control.idsByState().done![0]!;
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const foreign = new Set<string>();
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (isLoopback(url)) return route.continue();
    foreign.add(url);
    return route.abort('blockedbyclient');
  });
  await context.routeWebSocket(/.*/, (ws) => {
    if (isLoopback(ws.url().replace(/^ws/, 'http'))) return ws.connectToServer();
    foreign.add(ws.url());
    return ws.close();
  });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('request', (r) => {
    if (!isLoopback(r.url())) foreign.add(r.url());
  });
  try {
    const response = await page.goto(h.url, { waitUntil: 'load', timeout: 30_000 });
    expect(response?.status()).toBe(200);
    expect(await page.title()).toBe('batchql');
    // Everything the page loads by itself has loaded ('load'): none of it came from elsewhere.
    expect([...foreign]).toEqual([]);
    await page.locator('.graphiql-container').first().waitFor({ timeout: 30_000 });
    const editor = page.locator('.graphiql-query-editor .monaco-editor').first();
    await editor.waitFor({ timeout: 30_000 });
    // The configured default query is in the editor: GraphiQL got its options.
    await expect.poll(() => editor.locator('.view-lines').innerText(), { timeout: 15_000 }).toContain('Providers');
    await expect.poll(() => page.locator('.graphiql-execute-button[aria-haspopup]').count()).toBe(1);
    // The headers editor is there (yoga's default, as before).
    await expect.poll(() => page.locator('.graphiql-editor-tools').innerText()).toContain('Headers');

    // Replace it with a query typed in, as a person would.
    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(
      `query One { batch(provider: FACT_CHECK, providerBatchId: "${doneId}") { providerBatchId status } }`,
    );
    await expect.poll(() => editor.locator('.view-lines').innerText(), { timeout: 15_000 }).toContain(doneId);
    // With the default query's three operations the run button opens a menu to pick one; it turns
    // back into a plain button once GraphiQL has parsed the edit (one operation).
    const run = page.locator('.graphiql-execute-button:not([aria-haspopup])');
    await run.waitFor({ timeout: 15_000 });
    await run.click();

    const result = page.locator('.graphiql-response .view-lines');
    await expect.poll(() => result.innerText(), { timeout: 30_000 }).toContain(doneId);
    const text = (await result.innerText()).replace(/\s+/g, ' ');
    expect(text).toContain('"providerBatchId": "' + doneId + '"');
    const direct = await h.gql(`{ batch(provider: FACT_CHECK, providerBatchId: "${doneId}") { status } }`);
    expect(text).toContain(`"status": "${direct.data.batch.status}"`);
    if (SCREENSHOT) await page.screenshot({ path: SCREENSHOT });
  } catch (error) {
    if (SCREENSHOT) await page.screenshot({ path: SCREENSHOT });
    throw error;
  } finally {
    await context.close();
  }
  expect([...foreign]).toEqual([]);
  expect(pageErrors).toEqual([]);
}, 90_000);

it('lets a page call the gateway cross-origin only from an origin on CORS_ORIGINS', async () => {
  const pageOrigin = new URL(h.url).origin; // h has no CORS_ORIGINS
  const allowing = await startHarness({ batchCount: 5, env: { CORS_ORIGINS: pageOrigin } });
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${pageOrigin}/health`);
    const call = (url: string) =>
      page.evaluate(async (target) => {
        try {
          const res = await fetch(target, {
            method: 'POST',
            credentials: 'include',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query: '{ providers { provider } }' }),
          });
          return `${res.status} ${JSON.stringify(await res.json())}`;
        } catch (error) {
          return `refused: ${(error as Error).name}`;
        }
      }, url);
    const providers = JSON.stringify({ data: { providers: PROVIDER_DEFINITIONS.map((d) => ({ provider: d.name })) } });
    // Same origin: unaffected.
    expect(await call(h.url)).toBe(`200 ${providers}`);
    // The same gateway under its other name is another origin, and not on its (empty) list.
    expect(await call(`http://localhost:${h.running.port}/graphql`)).toBe('refused: TypeError');
    // A gateway that lists this page's origin answers it, credentials included.
    expect(await call(allowing.url)).toBe(`200 ${providers}`);
  } finally {
    await context.close();
    await allowing.close();
  }
}, 60_000);
