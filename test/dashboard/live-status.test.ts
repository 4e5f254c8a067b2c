import type { Duplex } from 'node:stream';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { toGlobalId } from '../../src/domain/global-id.js';
import { ensureBuilt, ROOT } from '../helpers/build.js';
import { launchChromium } from '../helpers/browser.js';
import { startDashboardHarness } from '../helpers/dashboard-harness.js';
import type { Harness } from '../helpers/harness.js';

/**
 * The dashboard's live indicator and its two subscriptions, in a real browser (Debian's chromium through
 * playwright-core) against the simulators on a real clock: idle when nothing is watched (the socket's own
 * lazy close is not a lost connection), live while connected, reconnecting only after the socket was
 * dropped; and the detail panel's batch on a stream of its own, so a bad or missing id in the URL fails
 * the panel alone, with one message. The last test moves the clock past every batch's end: it runs last.
 */
const SHOTS = join(ROOT, 'test-results');
const SHOWCASE = toGlobalId('FACT_CHECK', 'batch_5e1ec7ed0001');

let h: Harness;
let browser: Browser;
let origin: string;
const contexts: BrowserContext[] = [];
/** The gateway's upgraded sockets (the pages' WebSockets), so a test can drop them as a network would. */
const sockets = new Set<Duplex>();

beforeAll(async () => {
  await ensureBuilt();
  h = await startDashboardHarness();
  h.running.server.on('upgrade', (_request, socket: Duplex) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  origin = new URL(h.url).origin;
  browser = await launchChromium();
  mkdirSync(SHOTS, { recursive: true });
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
});
afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close().catch(() => undefined);
});

/**
 * A page on the dashboard that records every text its live indicator shows (`shown`), however briefly,
 * and the errors it raises.
 */
async function open(path = '', viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport });
  contexts.push(context);
  const page = await context.newPage();
  await page.addInitScript(() => {
    const w = window as unknown as { __live: string[] };
    w.__live = [];
    new MutationObserver(() => {
      const text = document.querySelector('.live-status-text')?.textContent ?? '';
      if (text && text !== w.__live.at(-1)) w.__live.push(text);
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(`${origin}/dashboard/${path}`);
  await rows(page).first().waitFor({ timeout: 20_000 });
  const shown = () => page.evaluate(() => (window as unknown as { __live: string[] }).__live);
  return { page, problems, shown };
}
const rows = (page: Page) => page.locator('table.batches tbody tr[data-id]');
const row = (page: Page, id: string) => page.locator(`table.batches tbody tr[data-id="${id}"]`);
const percentOf = async (page: Page, id: string) =>
  Number(await row(page, id).locator('[role=progressbar]').getAttribute('aria-valuenow'));
const status = (page: Page) => page.locator('.live-status-text').textContent();
const openSockets = () => [...sockets].filter((s) => !s.destroyed).length;

/** The showcase row's progress moves twice: the list's stream is alive. */
async function rowsMove(page: Page) {
  await expect.poll(() => row(page, SHOWCASE).getAttribute('data-status'), { timeout: 15_000 }).toBe('RUNNING');
  const start = await percentOf(page, SHOWCASE);
  await expect.poll(() => percentOf(page, SHOWCASE), { timeout: 15_000 }).toBeGreaterThan(start);
  const later = await percentOf(page, SHOWCASE);
  await expect.poll(() => percentOf(page, SHOWCASE), { timeout: 15_000 }).toBeGreaterThan(later);
}

describe('the live indicator', () => {
  it('is idle, not reconnecting, once a filter leaves nothing live and the idle socket closes', async () => {
    const { page, problems, shown } = await open();
    await expect.poll(() => status(page), { timeout: 15_000 }).toMatch(/^Live · [1-9]\d* watched$/);
    await page.getByRole('button', { name: 'Failed', exact: true }).click();
    await expect
      .poll(async () => new Set(await rows(page).evaluateAll((trs) => trs.map((tr) => tr.dataset.status))))
      .toEqual(new Set(['FAILED']));
    await expect.poll(() => status(page)).toBe('Live idle');
    // graphql-ws closes its idle socket 2 s after the last subscription ended; ten seconds cover it with room.
    await page.waitForTimeout(10_000);
    expect(openSockets()).toBe(0);
    expect(await status(page)).toBe('Live idle');
    // Back to running rows: a new socket, connecting then live, and never a lost connection all along.
    await page.goBack();
    await expect.poll(() => status(page), { timeout: 15_000 }).toMatch(/^Live · [1-9]\d* watched$/);
    expect(await shown()).not.toContain('Reconnecting…');
    expect(problems).toEqual([]);
  }, 60_000);
});

describe("the detail panel's own subscription", () => {
  it.each([
    ['a malformed id', 'garbage', 'BAD_USER_INPUT'],
    ['a missing batch', toGlobalId('FACT_CHECK', 'batch_000000000000'), 'NOT_FOUND'],
  ])(
    'fails alone for %s, with one message, and the rows keep moving',
    async (_, id, code) => {
      const { page, problems } = await open(`?batch=${encodeURIComponent(id)}`);
      const panel = page.locator('aside.detail');
      await expect.poll(() => panel.locator('[role=alert]').innerText(), { timeout: 15_000 }).toContain(code);
      await rowsMove(page);
      expect(await status(page)).toMatch(/^Live · [1-9]\d* watched$/);
      // The read and the watch fail the same way: one message on the whole page, in the panel.
      expect(await page.locator('[role=alert]').count()).toBe(1);
      expect(await page.locator('.list [role=alert]').count()).toBe(0);
      // Boxed within the panel's margins, not against its edges.
      const box = (await panel.locator('[role=alert]').boundingBox())!;
      const edges = (await panel.boundingBox())!;
      expect(box.x - edges.x).toBeGreaterThanOrEqual(12);
      expect(edges.x + edges.width - (box.x + box.width)).toBeGreaterThanOrEqual(12);
      expect(problems).toEqual([]);
    },
    60_000,
  );
});

describe('a lost connection', () => {
  it('shows Reconnecting… on a phone after the socket is dropped, and recovers', async () => {
    const width = 390;
    const { page, shown } = await open('', { width, height: 844 });
    const word = page.locator('.live-status-short');
    // On screen, and clear of the header's buttons.
    const inView = async () => {
      const box = await word.boundingBox();
      const buttons = await page.locator('.topbar .btn').first().boundingBox();
      return box !== null && buttons !== null && box.x >= 0 && box.x + box.width <= buttons.x;
    };
    await expect.poll(() => word.innerText(), { timeout: 15_000 }).toBe('Live');
    expect(await word.isVisible()).toBe(true);
    expect(await inView()).toBe(true);
    expect(openSockets()).toBeGreaterThan(0);
    // The gateway's side of every socket dropped, as a network or a dying replica would.
    for (const socket of sockets) socket.destroy();
    await expect.poll(() => word.innerText()).toBe('Reconnecting…');
    expect(await inView()).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
    await page.screenshot({ path: join(SHOTS, `live-reconnecting-${width}.png`) });
    await expect.poll(() => word.innerText(), { timeout: 20_000 }).toBe('Live');
    expect(await shown()).toContain('Reconnecting…');
    await rowsMove(page);
  }, 60_000);
});

describe('the last live row finishing', () => {
  it('leaves the indicator idle, not reconnecting', async () => {
    const { page, problems, shown } = await open('?provider=FACT_CHECK');
    await expect.poll(() => status(page), { timeout: 15_000 }).toMatch(/^Live · [1-9]\d* watched$/);
    const live = await rows(page).evaluateAll(
      (trs) => trs.filter((tr) => ['QUEUED', 'RUNNING'].includes(tr.dataset.status ?? '')).length,
    );
    expect(live).toBeGreaterThan(0);
    // Every Check batch ends within the next ten minutes of the simulators' clock.
    h.clock.advance(10 * 60_000);
    await expect
      .poll(
        () =>
          rows(page).evaluateAll((trs) => trs.every((tr) => !['QUEUED', 'RUNNING'].includes(tr.dataset.status ?? ''))),
        { timeout: 20_000 },
      )
      .toBe(true);
    await expect.poll(() => status(page), { timeout: 10_000 }).toBe('Live idle');
    await page.waitForTimeout(10_000);
    expect(openSockets()).toBe(0);
    expect(await status(page)).toBe('Live idle');
    expect(await shown()).not.toContain('Reconnecting…');
    expect(problems).toEqual([]);
  }, 60_000);
});
