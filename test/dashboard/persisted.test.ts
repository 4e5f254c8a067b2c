import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ensureBuilt, ROOT } from '../helpers/build.js';
import { launchChromium } from '../helpers/browser.js';
import { startHarness, type Harness } from '../helpers/harness.js';

/**
 * The dashboard on a gateway that runs only persisted documents (`PERSISTED_OPERATIONS_FILE`, holding none of
 * the dashboard's): the page sends its documents by id, over HTTP and the WebSocket (there with the text beside
 * it), and the gateway loads their manifest from the build (dist/dashboard/persisted-documents.json), so the
 * page works as it does without the file. GraphiQL's documents are refused, and its page says so.
 */
const OPERATOR = '{ providers { provider } }';

let h: Harness;
let browser: Browser;
let origin: string;

beforeAll(async () => {
  await ensureBuilt();
  const file = join(mkdtempSync(join(tmpdir(), 'batchql-pd-')), 'operations.json');
  writeFileSync(file, JSON.stringify({ [createHash('sha256').update(OPERATOR).digest('hex')]: OPERATOR }));
  h = await startHarness({
    realTime: true,
    batchCount: 20,
    graphiql: true,
    sims: { factCheckPlan: 'unlimited', gameballRateLimits: 'none', durationMs: { min: 20_000, max: 60_000 } },
    env: {
      PERSISTED_OPERATIONS_FILE: file,
      FACTCHECK_PLAN: 'enterprise',
      GAMEBALL_RATE_LIMIT: 'none',
      LIVE_POLL_RUNNING_MS: '250',
      LIVE_POLL_IDLE_MS: '250',
      LIVE_POLL_IDLE_MAX_MS: '1000',
    },
  });
  origin = new URL(h.url).origin;
  browser = await launchChromium();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

/** A page whose POSTs name an id no gateway holds, as a page older than an upgrade would; the bodies it sent. */
async function withStaleIds() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const sent: Record<string, unknown>[] = [];
  await page.route('**/graphql', async (route) => {
    const request = route.request();
    if (request.method() !== 'POST' || !request.postData()?.startsWith('{')) return route.continue();
    const body = JSON.parse(request.postData()!) as Record<string, unknown>;
    if (typeof body.documentId === 'string') body.documentId = `sha256:${'0'.repeat(64)}`;
    sent.push(body);
    return route.continue({ postData: JSON.stringify(body) });
  });
  return { context, page, sent };
}

describe('persisted-only (PERSISTED_OPERATIONS_FILE)', () => {
  it('the dashboard lists and watches batches, sending ids only', async () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'dist', 'dashboard', 'persisted-documents.json'), 'utf8'));
    expect(Object.keys(manifest).every((id) => id.startsWith('sha256:'))).toBe(true);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    const bodies: unknown[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname === '/graphql') bodies.push(JSON.parse(r.postData()!));
    });
    const frames: unknown[] = [];
    page.on('websocket', (ws) =>
      ws.on('framesent', (f) => {
        const message = JSON.parse(String(f.payload)) as { type: string; payload?: unknown };
        if (message.type === 'subscribe') frames.push(message.payload);
      }),
    );
    await page.goto(`${origin}/dashboard/`);
    const rows = page.locator('table.batches tbody tr[data-id]');
    await rows.first().waitFor({ timeout: 20_000 });
    expect(await rows.count()).toBeGreaterThan(0);
    await expect
      .poll(() => page.locator('.live-status-text').textContent(), { timeout: 15_000 })
      .toMatch(/^Live · [1-9]\d* watched$/);
    expect(await page.locator('[role=alert]').count()).toBe(0);
    expect(bodies.length).toBeGreaterThan(0);
    for (const body of bodies) {
      expect(body).toMatchObject({ documentId: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
      expect(body).not.toHaveProperty('query');
      expect(Object.keys(manifest)).toContain((body as { documentId: string }).documentId);
    }
    expect(frames.length).toBeGreaterThan(0);
    for (const frame of frames) expect(frame).toMatchObject({ documentId: expect.stringMatching(/^sha256:/) });
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);

  it('a page whose ids the gateway does not hold says so: PERSISTED_DOCUMENT_NOT_FOUND, not REQUIRED', async () => {
    const { context, page } = await withStaleIds();
    await page.goto(`${origin}/dashboard/`);
    await expect
      .poll(() => page.locator('[role=alert]').first().innerText(), { timeout: 20_000 })
      .toContain('PERSISTED_DOCUMENT_NOT_FOUND');
    expect(await page.locator('[role=alert]').first().innerText()).not.toContain('PERSISTED_DOCUMENT_REQUIRED');
    await context.close();
  }, 60_000);

  it("GraphiQL's page says its documents cannot run, and they get PERSISTED_DOCUMENT_REQUIRED", async () => {
    const html = await (await fetch(h.url, { headers: { accept: 'text/html' } })).text();
    expect(html).toContain('runs only persisted documents');
    const refused = await h.gql('{ __typename }');
    expect(refused.errors?.[0]?.extensions?.code).toBe('PERSISTED_DOCUMENT_REQUIRED');
    expect(refused.errors?.[0]?.message).toMatch(/GraphiQL/);
    // The operator's document still runs by id.
    const res = await fetch(h.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ documentId: `sha256:${createHash('sha256').update(OPERATOR).digest('hex')}` }),
    });
    expect(((await res.json()) as { data: { providers: unknown[] } }).data.providers.length).toBeGreaterThan(0);
  });
});

describe('without PERSISTED_OPERATIONS_FILE', () => {
  let open: Harness;
  beforeAll(async () => {
    open = await startHarness({ realTime: true, batchCount: 20, env: { LIVE_POLL_IDLE_MAX_MS: '1000' } });
  });
  afterAll(() => open?.close());

  it('a page whose ids the gateway does not hold sends the text once more, and lists', async () => {
    const { context, page, sent } = await withStaleIds();
    await page.goto(`${new URL(open.url).origin}/dashboard/`);
    await page.locator('table.batches tbody tr[data-id]').first().waitFor({ timeout: 20_000 });
    expect(sent.some((body) => 'documentId' in body)).toBe(true);
    expect(sent.some((body) => typeof body.query === 'string' && !('documentId' in body))).toBe(true);
    await context.close();
  }, 60_000);
});
