import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { toGlobalId } from '../../src/domain/global-id.js';
import { bearer, JWT_TEST_ENV } from '../helpers/auth.js';
import { ensureBuilt, ROOT } from '../helpers/build.js';
import { launchChromium } from '../helpers/browser.js';
import { startDashboardHarness } from '../helpers/dashboard-harness.js';
import { startHarness, type Harness } from '../helpers/harness.js';

/**
 * The dashboard in a real browser (Debian's chromium through playwright-core) against the simulators on a
 * real clock, with quotas that never make a test wait: the simulators on their highest plans (Check
 * `unlimited`, Gameball without windows) and the gateway budgeted as Check enterprise, Gameball unlimited.
 * The page is the bundle `npm run build` makes (dist/dashboard/), served by the gateway under test.
 */
const SHOTS = join(ROOT, 'test-results');
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
/**
 * The write actions need issue 14's mutations. TEMPORARY: skipped while the served schema has no
 * `Mutation` (the dashboard branch before the writes branch is merged); remove the skip after the merge.
 */

let h: Harness;
let browser: Browser;
let origin: string;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  await ensureBuilt();
  h = await startDashboardHarness();
  origin = new URL(h.url).origin;
  browser = await launchChromium();
  mkdirSync(SHOTS, { recursive: true });
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
});
// Each test's pages are closed after it: an open page keeps its live stream (and the CPU) busy.
afterEach(async () => {
  h.sims.factCheck.control.clearFaults();
  h.sims.reach.control.clearFaults();
  for (const c of contexts.splice(0)) await c.close().catch(() => undefined);
});

/**
 * A page on the dashboard; every request must stay on loopback, and the page must raise no error. It waits
 * for the first row unless `waitForRows` is false (a view that lists nothing).
 */
async function open(path = '', viewport = { width: 1280, height: 900 }, waitForRows = true) {
  const context = await browser.newContext({ viewport });
  contexts.push(context);
  const foreign: string[] = [];
  await context.route('**/*', (route) => {
    const { hostname } = new URL(route.request().url());
    if (['127.0.0.1', 'localhost'].includes(hostname) || route.request().url().startsWith('data:'))
      return route.continue();
    foreign.push(route.request().url());
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  // Layout shifts without recent input, from the start (rows must not jump while the list is live).
  await page.addInitScript(() => {
    const w = window as unknown as { __shift: number };
    w.__shift = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as unknown as { value: number; hadRecentInput: boolean }[])
        if (!e.hadRecentInput) w.__shift += e.value;
    }).observe({ type: 'layout-shift', buffered: true });
  });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  await page.goto(`${origin}/dashboard/${path}`);
  if (waitForRows) await rows(page).first().waitFor({ timeout: 20_000 });
  return { page, context, foreign, problems };
}
const rows = (page: Page) => page.locator('table.batches tbody tr[data-id]');
const row = (page: Page, id: string) => page.locator(`table.batches tbody tr[data-id="${id}"]`);
const percentOf = async (page: Page, id: string) =>
  Number(await row(page, id).locator('[role=progressbar]').getAttribute('aria-valuenow'));
const idsOf = (page: Page) => rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')));
/** A time as the page shows it: with its zone ("12:11:48 UTC", "7 Dec, 12:11 CET", "07:11:48 GMT-5"). */
const ZONED = /\d{2}:\d{2}(:\d{2})? (UTC|GMT([+-]\d{1,2}(:\d{2})?)?|[A-Z]{2,5})$/;

describe('the list', () => {
  it('lists batches of both listing providers; filtering by status changes the rows and the URL', async () => {
    const { page, foreign, problems } = await open();
    const providers = await rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-provider')));
    expect(new Set(providers)).toEqual(new Set(['REACH', 'FACT_CHECK']));
    // Newest first.
    const total = await h.gql('{ batches(first: 25) { edges { node { id } } } }');
    const listed = await rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')));
    expect(listed).toEqual(total.data.batches.edges.map((e: any) => e.node.id));
    await expect.poll(() => page.locator('.gameball-note').innerText()).toContain('Gameball');
    // The subtitle names what the view merges, with the gateway's names; every time shown carries its zone.
    const names = await h.gql('{ providers { provider displayName } }');
    const nameOf = (p: string) => names.data.providers.find((n: any) => n.provider === p).displayName;
    await expect
      .poll(() => page.locator('.list-sub').innerText())
      // Gameball has no list endpoint; the ledger lists the batches batchql has seen (docs/ledger.md).
      .toContain(`${nameOf('REACH')}, ${nameOf('GAMEBALL')} and ${nameOf('FACT_CHECK')} merged`);
    expect(await page.locator('.list-sub time').innerText()).toMatch(ZONED);
    const times = await rows(page).locator('td[data-label="Created · Finished"] time').allInnerTexts();
    expect(times.length).toBeGreaterThan(0);
    for (const time of times) expect(time).toMatch(ZONED);
    // No rate before the gateway has measured one: never "0.0/min" for a batch that has processed nothing.
    const rates = await rows(page).evaluateAll((trs) =>
      trs
        .filter((tr) => tr.dataset.status === 'RUNNING')
        .map((tr) => ({
          counts: tr.querySelector('.counts span')?.textContent ?? '',
          rate: tr.querySelector('.rate')?.textContent,
        })),
    );
    for (const { counts, rate } of rates) if (counts.startsWith('0 /')) expect(rate).toBe('measuring…');

    await page.getByRole('button', { name: 'Failed', exact: true }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('status')).toBe('FAILED');
    await expect
      .poll(async () => new Set(await rows(page).evaluateAll((trs) => trs.map((tr) => tr.dataset.status))))
      .toEqual(new Set(['FAILED']));
    const failed = await h.gql('{ batches(first: 25, filter: { statuses: [FAILED] }) { edges { node { id } } } }');
    await expect
      .poll(() => rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id'))))
      .toEqual(failed.data.batches.edges.map((e: any) => e.node.id));

    // The URL is the view: opened elsewhere, it shows the same rows; Back restores the unfiltered list.
    const shared = await open(`?status=FAILED`);
    expect(await shared.page.getByRole('button', { name: 'Failed', exact: true }).getAttribute('aria-pressed')).toBe(
      'true',
    );
    await expect.poll(() => rows(shared.page).count()).toBe(failed.data.batches.edges.length);
    await page.goBack();
    await expect.poll(() => rows(page).count()).toBe(listed.length);
    expect(foreign).toEqual([]);
    expect(problems).toEqual([]);

    // One provider in the view: the subtitle says so.
    const reach = await open('?provider=REACH');
    await expect.poll(() => reach.page.locator('.list-sub').innerText()).toContain(`${nameOf('REACH')} only`);
  }, 60_000);

  it('pages forward and back through the cursor stack', async () => {
    const { page } = await open('?size=25');
    const first = await rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')));
    const pager = page.getByRole('navigation', { name: 'Batch pages' });
    await pager.getByRole('button', { name: /Next/ }).click();
    await expect.poll(() => pager.innerText()).toContain('Page 2');
    await expect.poll(() => rows(page).first().getAttribute('data-id')).not.toBe(first[0]);
    const second = await rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')));
    expect(second.some((id) => first.includes(id))).toBe(false);
    await pager.getByRole('button', { name: /Previous/ }).click();
    await expect
      .poll(() => rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id'))))
      .toEqual(first);
  }, 60_000);

  it('keeps the page in the URL: a reload, Back and a shared link stay on it', async () => {
    const { page, problems } = await open('?size=25');
    const pager = page.getByRole('navigation', { name: 'Batch pages' });
    const pages: (string | null)[][] = [await idsOf(page)];
    for (const n of [2, 3]) {
      await pager.getByRole('button', { name: /Next/ }).click();
      await expect.poll(() => pager.innerText()).toContain(`Page ${n}`);
      await expect.poll(async () => (await idsOf(page))[0]).not.toBe(pages.at(-1)![0]);
      pages.push(await idsOf(page));
    }
    expect(new URL(page.url()).searchParams.get('page')).toBe('3');
    const link = page.url();
    await page.reload();
    await rows(page).first().waitFor();
    await expect.poll(() => pager.innerText()).toContain('Page 3');
    await expect.poll(() => idsOf(page)).toEqual(pages[2]);
    // The earlier pages' cursors survive the reload: "previous" goes to page 2, Back to page 3 again.
    await pager.getByRole('button', { name: /Previous/ }).click();
    await expect.poll(() => idsOf(page)).toEqual(pages[1]);
    expect(await pager.innerText()).toContain('Page 2');
    await page.goBack();
    await expect.poll(() => idsOf(page)).toEqual(pages[2]);
    expect(problems).toEqual([]);

    // The link opened elsewhere (no history state) shows page 3; "previous" starts again at page 1.
    const shared = await open(link.slice(`${origin}/dashboard/`.length));
    const sharedPager = shared.page.getByRole('navigation', { name: 'Batch pages' });
    await expect.poll(() => idsOf(shared.page)).toEqual(pages[2]);
    expect(await sharedPager.innerText()).toContain('Page 3');
    await sharedPager.getByRole('button', { name: /Previous/ }).click();
    await expect.poll(() => idsOf(shared.page)).toEqual(pages[0]);

    // A cursor the gateway refuses: a note, and page 1.
    const altered = await open(`?page=2&after=${encodeURIComponent('bm90LWEtY3Vyc29y.AAAA')}`);
    await expect.poll(() => altered.page.locator('.ignored-note').innerText()).toMatch(/page=2.*could not be restored/);
    await expect.poll(() => idsOf(altered.page)).toEqual(pages[0]);
    expect(new URL(altered.page.url()).searchParams.get('page')).toBeNull();
  }, 60_000);

  it('says which values of the URL it ignores', async () => {
    const { page, problems } = await open('?status=BOGUS,RUNNING&provider=NOPE&size=33');
    const note = page.locator('.ignored-note');
    await expect.poll(() => note.innerText()).toContain('provider=NOPE');
    const text = await note.innerText();
    expect(text).toMatch(/status=BOGUS\s+is not a status/);
    expect(text).toMatch(/size=33\s+is not a page size/);
    expect(text).toMatch(/provider=NOPE\s+is not a provider of this gateway \(\w/);
    // The rest of the view is used (RUNNING), and the address keeps only what the page uses.
    await expect
      .poll(() => rows(page).evaluateAll((trs) => trs.every((tr) => tr.dataset.status === 'RUNNING')))
      .toBe(true);
    await expect.poll(() => new URL(page.url()).search).toBe('?status=RUNNING');
    await note.getByRole('button', { name: 'Dismiss the note' }).click();
    expect(await note.count()).toBe(0);
    expect(problems).toEqual([]);
  }, 60_000);
});

describe('live', () => {
  const showcase = () => toGlobalId('FACT_CHECK', 'batch_5e1ec7ed0001');

  it('moves the progress bar of a running batch without a reload, with its rate and ETA', async () => {
    const { page, problems } = await open();
    const id = showcase();
    const order = () => rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')));
    const listed = await order();
    await expect.poll(() => row(page, id).getAttribute('data-status'), { timeout: 15_000 }).toBe('RUNNING');
    const loaded = await page.evaluate(() => performance.timeOrigin);
    const start = await percentOf(page, id);
    await expect.poll(() => percentOf(page, id), { timeout: 15_000 }).toBeGreaterThan(start);
    const later = await percentOf(page, id);
    await expect.poll(() => percentOf(page, id), { timeout: 15_000 }).toBeGreaterThan(later);
    await expect.poll(() => row(page, id).locator('.eta').innerText(), { timeout: 15_000 }).toMatch(/ETA in \d/);
    await expect.poll(() => row(page, id).locator('.rate').innerText()).toMatch(/\d.*\/(s|min)/);
    // The same document all along (no reload), holding one live stream.
    expect(await page.evaluate(() => performance.timeOrigin)).toBe(loaded);
    await expect.poll(() => page.locator('.live-status').innerText()).toMatch(/Live · \d+ watched/);
    // Rows did not jump: the same order, and (almost) no layout shift while they updated.
    expect(await order()).toEqual(listed);
    expect(await page.evaluate(() => (window as unknown as { __shift: number }).__shift)).toBeLessThan(0.05);
    // Another view replaces the one subscription with one for its own running batches.
    await page.getByRole('button', { name: 'Running', exact: true }).click();
    await expect
      .poll(() => rows(page).evaluateAll((trs) => trs.every((tr) => tr.dataset.status === 'RUNNING')))
      .toBe(true);
    const watched = async () => Number(/(\d+) watched/.exec(await page.locator('.live-status').innerText())?.[1]);
    await expect.poll(watched).toBe(await rows(page).count());
    await page.waitForTimeout(1_000);
    expect(await page.locator('.live-status').innerText()).toMatch(/Live · [1-9]\d* watched/);
    expect(problems).toEqual([]);
  }, 60_000);

  it('shows a batch that finishes during the test in its terminal state', async () => {
    const { page } = await open();
    // The running batch on screen closest to its end (it finishes within a minute).
    const running = await rows(page).evaluateAll((trs) =>
      trs
        .filter((tr) => tr.dataset.status === 'RUNNING')
        .map((tr) => ({
          id: tr.dataset.id!,
          percent: Number(tr.querySelector('[role=progressbar]')?.getAttribute('aria-valuenow')),
        })),
    );
    const next = running.filter((r) => r.id !== showcase()).sort((a, b) => b.percent - a.percent)[0];
    expect(next).toBeDefined();
    const id = next!.id;
    const terminal = ['SUCCEEDED', 'PARTIALLY_SUCCEEDED', 'FAILED', 'CANCELLED'];
    await expect
      .poll(async () => terminal.includes((await row(page, id).getAttribute('data-status')) ?? ''), {
        timeout: 75_000,
        interval: 500,
      })
      .toBe(true);
    const status = (await row(page, id).getAttribute('data-status'))!;
    const batch = await h.gql('query($id: ID!) { node(id: $id) { ... on Batch { status providerStatus } } }', { id });
    expect(status).toBe(batch.data.node.status);
    expect(await row(page, id).locator('.raw').innerText()).toBe(batch.data.node.providerStatus);
    if (status === 'SUCCEEDED') expect(await percentOf(page, id)).toBe(100);
    await expect.poll(() => row(page, id).locator('.cell-fresh').innerText()).toContain('final');
  }, 90_000);
});

describe('the detail panel', () => {
  it('calls the rest of a finished batch "not processed", not "pending" (FAILED Reach, CANCELLED Check)', async () => {
    const pick = async (field: string, status: string) => {
      const r = await h.gql(
        `{ ${field}(first: 100, filter: { statuses: [${status}] }) ` +
          '{ edges { node { id isTerminal progress { pending } } } } }',
      );
      return r.data[field].edges.map((e: any) => e.node).find((n: any) => n.progress.pending > 0 && n.isTerminal);
    };
    const reach = await pick('reachBatches', 'FAILED');
    const check = await pick('factCheckBatches', 'CANCELLED');
    expect(reach).toBeDefined();
    expect(check).toBeDefined();
    const { page, problems } = await open('?status=FAILED,CANCELLED&size=100');
    for (const batch of [reach, check]) {
      const tr = row(page, batch.id);
      await expect.poll(() => tr.count()).toBe(1);
      expect(await tr.innerText()).toContain(`${batch.progress.pending.toLocaleString('en-US')} not processed`);
      expect(await tr.innerText()).not.toMatch(/pending/i);
      await tr.locator('.row-open').click();
      const panel = page.locator(`aside.detail[data-id="${batch.id}"]`);
      await panel.locator('.detail-section').first().waitFor();
      await expect.poll(() => panel.locator('[aria-busy=true]').count()).toBe(0);
      const text = await panel.innerText();
      expect(text).toMatch(new RegExp(`Not processed\\s+${batch.progress.pending.toLocaleString('en-US')}`, 'i'));
      expect(text).not.toMatch(/pending/i);
    }
    // The Reach batch failed as a whole: its record errors say how many Reach counted and listed none.
    await row(page, reach.id).locator('.row-open').click();
    await expect
      .poll(() => page.locator('aside.detail .shown-of').first().innerText())
      .toMatch(/^0 of [\d,]+ errors shown \(Reach returned none of them\)$/);
    expect(problems).toEqual([]);
  }, 60_000);

  it("shows a failed Check batch's validation errors", async () => {
    // Check's list rows carry no validation errors; its batch reads do.
    const failed = await h.gql(
      '{ factCheckBatches(first: 100, filter: { statuses: [FAILED] }) { edges { node { id } } } }',
    );
    const read = await h.gql(
      'query($ids: [ID!]!) { nodes(ids: $ids) { id ... on FactCheckBatch { validationErrors { row } } } }',
      {
        ids: failed.data.factCheckBatches.edges.map((e: any) => e.node.id),
      },
    );
    const node = read.data.nodes.find((n: any) => n?.validationErrors.length);
    expect(node).toBeDefined();
    const { page, problems } = await open(`?batch=${encodeURIComponent(node.id)}`);
    const panel = page.locator('aside.detail');
    await expect
      .poll(() => panel.locator('[data-testid=validation-errors] tbody tr').count())
      .toBe(node.validationErrors.length);
    const text = await panel.innerText();
    for (const e of node.validationErrors) expect(text).toContain(String(e.row));
    expect(text).toContain('Failed');
    expect(problems).toEqual([]);
  }, 60_000);

  it("pages a completed Check batch's items", async () => {
    const done = await h.gql(
      '{ factCheckBatches(first: 100, filter: { statuses: [SUCCEEDED, PARTIALLY_SUCCEEDED] }) ' +
        '{ edges { node { id items(first: 1) { totalCount } } } } }',
    );
    const node = done.data.factCheckBatches.edges.map((e: any) => e.node).find((n: any) => n.items.totalCount > 20);
    expect(node).toBeDefined();
    const { page } = await open(`?batch=${encodeURIComponent(node.id)}`);
    const items = page.locator('aside.detail [data-testid=items] tbody tr');
    await expect.poll(() => items.count()).toBe(10);
    const index = () => items.first().locator('td').first().innerText();
    expect(await index()).toBe('0');
    const pager = page.getByRole('navigation', { name: 'Items' });
    await pager.getByRole('button', { name: /Next/ }).click();
    await expect.poll(index).toBe('10');
    await pager.getByRole('button', { name: /Next/ }).click();
    await expect.poll(index).toBe('20');
    await pager.getByRole('button', { name: /Previous/ }).click();
    await expect.poll(index).toBe('10');
    // Each item shows its verdict, confidence and decision columns.
    expect(await page.locator('aside.detail [data-testid=items] thead').innerText()).toMatch(
      /Verdict[\s\S]*Confidence[\s\S]*Decision/,
    );
  }, 60_000);
});

describe('Gameball and watch failures', () => {
  it('opens a Gameball batch by its id from the note, with its item errors', async () => {
    const id = h.sims.gameball.control.idsByState().partial![0]!;
    const { page, problems } = await open();
    await page.getByLabel('Gameball batch id').fill(id);
    await page.locator('.gameball-note').getByRole('button', { name: 'Open' }).click();
    const panel = page.locator('aside.detail');
    await expect.poll(() => panel.getAttribute('data-id')).toBe(toGlobalId('GAMEBALL', id));
    await expect.poll(() => panel.innerText()).toContain('Gameball');
    await expect.poll(() => panel.locator('h3', { hasText: 'Item errors' }).count()).toBe(1);
    // Gameball lists fewer errors than it counts failed items: the panel says how many it shows.
    const read = await h.gql(
      'query($id: String!) { batch(provider: GAMEBALL, providerBatchId: $id) ' +
        '{ ... on GameballBatch { failedItems itemErrors { code } } } }',
      { id },
    );
    const { failedItems, itemErrors } = read.data.batch;
    expect(itemErrors.length).toBeLessThan(failedItems);
    await expect
      .poll(() => panel.locator('.shown-of').innerText())
      .toBe(`${itemErrors.length} of ${failedItems} errors shown (Gameball returned only ${itemErrors.length})`);
    expect(problems).toEqual([]);
  }, 60_000);

  it("shows a watched batch's failure event (not found), naming its provider", async () => {
    const id = toGlobalId('FACT_CHECK', 'batch_000000000000');
    const { page } = await open(`?batch=${encodeURIComponent(id)}`);
    const panel = page.locator('aside.detail');
    // The read fails, and so does the panel's own watch, the same way: one message.
    await expect.poll(() => panel.locator('[role=alert]').innerText(), { timeout: 15_000 }).toContain('NOT_FOUND');
    await page.waitForTimeout(1_000);
    expect(await panel.locator('[role=alert]').count()).toBe(1);
    const text = await panel.innerText();
    expect(text).toContain('Check:');
    // The list is unaffected.
    expect(await rows(page).count()).toBeGreaterThan(0);
  }, 60_000);
});

describe('errors', () => {
  it('names the failing provider on the list, and keeps the other rows', async () => {
    const { page } = await open();
    h.sims.factCheck.control.setFault({ kind: 'http5xx', status: 503 });
    await page.getByRole('button', { name: 'Refresh' }).click();
    const alert = page.locator('.list [role=alert]').first();
    await expect.poll(() => alert.innerText(), { timeout: 15_000 }).toMatch(/Check:/);
    expect(await alert.innerText()).toContain('PROVIDER_UNAVAILABLE');
    const providers = await rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-provider')));
    expect(providers.length).toBeGreaterThan(0);
    // Reach's rows stay, and Gameball's from the ledger when it holds some; none of Check's.
    expect(providers).toContain('REACH');
    expect(providers).not.toContain('FACT_CHECK');
    expect(new Set(providers).size).toBeLessThanOrEqual(2);
    // The rest of the page works: the providers panel, and Reach's detail.
    expect(await page.locator('.providers').innerText()).toContain('Reach');
    await rows(page).first().locator('.row-open').click();
    await expect.poll(() => page.locator('aside.detail .facts').first().textContent()).toContain('Processed');
    h.sims.factCheck.control.clearFaults();
  }, 60_000);

  it('says what failed, naming the provider, when a view lists nothing because of it', async () => {
    h.sims.factCheck.control.setFault({ kind: 'http5xx', status: 503 });
    const { page } = await open('?provider=FACT_CHECK', undefined, false);
    const empty = page.locator('.list .empty');
    await expect
      .poll(() => empty.innerText(), { timeout: 15_000 })
      .toMatch(/^No batches could be listed: Check failed/);
    expect(await empty.innerText()).toContain('PROVIDER_UNAVAILABLE');
    expect(await page.locator('.list [role=alert]').first().innerText()).toMatch(/Check:/);
    // Nothing else is merged in this view, so the alert claims no other rows, and the subtitle names the failure.
    expect(await page.locator('.list [role=alert]').first().innerText()).not.toContain('still listed');
    expect(await page.locator('.list-sub').innerText()).toContain('Check failed');
    h.sims.factCheck.control.clearFaults();
  }, 60_000);
});

describe('actions', () => {
  it('cancels a running batch: CANCELLED on screen', async () => {
    const running = await h.gql(
      '{ factCheckBatches(first: 100, filter: { statuses: [RUNNING] }) { edges { node { id } } } }',
    );
    const id = running.data.factCheckBatches.edges.at(-1).node.id;
    const { page, problems } = await open(`?batch=${encodeURIComponent(id)}`);
    const panel = page.locator('aside.detail');
    await panel.getByRole('button', { name: 'Cancel batch' }).click();
    await panel.getByRole('button', { name: 'Yes, cancel it' }).click();
    await expect.poll(() => panel.locator('.detail-status .badge').innerText(), { timeout: 15_000 }).toBe('Cancelled');
    const after = await h.gql('query($id: ID!) { node(id: $id) { ... on Batch { status } } }', { id });
    expect(after.data.node.status).toBe('CANCELLED');
    expect(problems).toEqual([]);
  }, 60_000);

  it('submits a fact-check batch once, which appears and progresses', async () => {
    const count = async () =>
      (await h.gql('{ factCheckBatches(first: 1) { totalCount } }')).data.factCheckBatches.totalCount;
    const before = await count();
    const { page, problems } = await open();
    await page.getByRole('button', { name: 'New fact-check batch' }).click();
    const dialog = page.getByRole('dialog', { name: 'New fact-check batch' });
    await dialog.getByLabel('Name (optional)').fill('Dashboard test batch');
    await dialog
      .getByLabel('Claims, one a line')
      .fill(Array.from({ length: 12 }, (_, i) => `Claim number ${i + 1} is true.`).join('\n'));
    // A double click submits once (one idempotency key for one content).
    await dialog.getByRole('button', { name: 'Submit batch' }).dblclick();
    const panel = page.locator('aside.detail');
    await expect
      .poll(() => panel.locator('#detail-title').innerText(), { timeout: 15_000 })
      .toBe('Dashboard test batch');
    const id = await panel.getAttribute('data-id');
    await expect.poll(() => row(page, id!).count()).toBe(1);
    await expect
      .poll(async () => ['RUNNING', 'SUCCEEDED'].includes((await row(page, id!).getAttribute('data-status')) ?? ''), {
        timeout: 30_000,
      })
      .toBe(true);
    await expect.poll(() => percentOf(page, id!), { timeout: 30_000 }).toBeGreaterThan(0);
    expect(await count()).toBe(before + 1);
    expect(problems).toEqual([]);
  }, 90_000);
});

describe('actions (upload)', () => {
  it('submits a fact-check batch from an uploaded CSV file', async () => {
    const { page, problems } = await open();
    await page.getByRole('button', { name: 'New fact-check batch' }).click();
    const dialog = page.getByRole('dialog', { name: 'New fact-check batch' });
    await dialog.getByLabel('Name (optional)').fill('Uploaded claims');
    await dialog.getByLabel('…or a file').setInputFiles({
      name: 'claims.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('content\nThe Moon orbits the Earth.\nParis is the capital of France.\nWater is dry.\n'),
    });
    await dialog.getByRole('button', { name: 'Submit batch' }).click();
    const panel = page.locator('aside.detail');
    await expect.poll(() => panel.locator('#detail-title').innerText(), { timeout: 15_000 }).toBe('Uploaded claims');
    await expect.poll(() => panel.locator('.facts').nth(1).innerText()).toMatch(/CSV[\s\S]*claims\.csv/);
    const id = await panel.getAttribute('data-id');
    await expect.poll(() => row(page, id!).count()).toBe(1);
    expect(problems).toEqual([]);
  }, 60_000);
});

describe('quality', () => {
  it('can be used with the keyboard alone', async () => {
    const { page } = await open();
    let focused = '';
    for (let i = 0; i < 40 && !focused.includes('row-open'); i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => document.activeElement?.className ?? '');
    }
    expect(focused).toContain('row-open');
    const id = await page.evaluate(() => document.activeElement?.closest('tr')?.getAttribute('data-id'));
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('aside.detail').getAttribute('data-id')).toBe(id);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('detail-title');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('aside.detail').count()).toBe(0);
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.closest('tr')?.getAttribute('data-id')))
      .toBe(id);
    // The submit dialog opens from the keyboard, and Escape closes it.
    await page.getByRole('button', { name: 'New fact-check batch' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(1);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
  }, 60_000);

  it('passes an axe-core scan with rows rendered and the detail panel open', async () => {
    const { page } = await open();
    const scan = async () => {
      // Through the debugging protocol, so the page's CSP (scripts from its own origin only) allows it.
      await page.evaluate(axeSource);
      return page.evaluate(async () => {
        const axe = (window as unknown as { axe: { run(c: unknown, o: unknown): Promise<any> } }).axe;
        const r = await axe.run(document, { resultTypes: ['violations'] });
        return r.violations
          .filter((v: any) => v.impact === 'serious' || v.impact === 'critical')
          .map((v: any) => `${v.id} (${v.impact}): ${v.nodes.map((n: any) => n.html.slice(0, 120)).join(' | ')}`);
      });
    };
    // The detail panel of each provider's kind of batch: Reach and Check from the list, Gameball by id.
    for (const provider of ['REACH', 'FACT_CHECK']) {
      await page.locator(`table.batches tbody tr[data-provider="${provider}"] .row-open`).first().click();
      await page.locator('aside.detail .detail-section').first().waitFor();
      await expect.poll(() => page.locator('aside.detail [aria-busy=true]').count()).toBe(0);
      expect(await scan(), provider).toEqual([]);
    }
    await page.getByLabel('Gameball batch id').fill(h.sims.gameball.control.idsByState().partial![0]!);
    await page.locator('.gameball-note').getByRole('button', { name: 'Open' }).click();
    await expect.poll(() => page.locator('aside.detail h3', { hasText: 'Item errors' }).count()).toBe(1);
    expect(await scan(), 'GAMEBALL').toEqual([]);
    expect(await rows(page).count()).toBeGreaterThan(5);
  }, 60_000);

  it("works at 1280 px and 390 px wide: nothing wider than the screen, the panel's tables inside it", async () => {
    // A finished Check batch with a page of items (the widest table), and a Reach batch (its long type word).
    const done = await h.gql(
      '{ factCheckBatches(first: 100, filter: { statuses: [SUCCEEDED, PARTIALLY_SUCCEEDED] }) ' +
        '{ edges { node { id items(first: 1) { totalCount } } } } }',
    );
    const check = done.data.factCheckBatches.edges.map((e: any) => e.node).find((n: any) => n.items.totalCount > 0);
    const reach = (await h.gql('{ reachBatches(first: 1) { edges { node { id } } } }')).data.reachBatches.edges[0].node;
    const fits = (page: Page) =>
      page.evaluate(() => {
        const panel = document.querySelector('aside.detail');
        const box = panel?.getBoundingClientRect();
        return {
          page: document.documentElement.scrollWidth <= window.innerWidth,
          // The panel itself never scrolls sideways; a table wider than it scrolls in its own region.
          panel: !panel || panel.scrollWidth <= panel.clientWidth,
          tables: [...document.querySelectorAll('aside.detail .mini-wrap')].every(
            (wrap) => wrap.getBoundingClientRect().right <= box!.right + 0.5,
          ),
        };
      });
    for (const width of [1280, 390]) {
      const { page } = await open('', { width, height: width > 500 ? 900 : 844 });
      await expect.poll(() => rows(page).count()).toBeGreaterThan(10);
      await expect.poll(() => page.locator('.live-status, .provider-card').count()).toBeGreaterThan(0);
      expect(await fits(page)).toEqual({ page: true, panel: true, tables: true });
      await page.screenshot({ path: join(SHOTS, `dashboard-${width}.png`) });
      for (const id of [check.id, reach.id]) {
        await page.goto(`${origin}/dashboard/?batch=${encodeURIComponent(id)}`);
        await page.locator('aside.detail .detail-section').first().waitFor();
        await expect.poll(() => page.locator('aside.detail [aria-busy=true]').count()).toBe(0);
        if (id === check.id) await page.locator('aside.detail [data-testid=items]').waitFor();
        expect(await fits(page), `${width} px, ${id}`).toEqual({ page: true, panel: true, tables: true });
        await page.screenshot({ path: join(SHOTS, `dashboard-${width}-${id === check.id ? 'check' : 'reach'}.png`) });
      }
      // The running Check batch of the data set, in the panel over the list (the README's picture).
      await page.goto(
        `${origin}/dashboard/?batch=${encodeURIComponent(toGlobalId('FACT_CHECK', 'batch_5e1ec7ed0001'))}`,
      );
      await rows(page).first().waitFor();
      await page.locator('aside.detail .facts').first().waitFor();
      // Its rate once the live stream has two readings (no rate before), and its ETA.
      const fact = (label: string) =>
        page.locator('aside.detail .fact', { has: page.getByText(label, { exact: true }) });
      await expect.poll(() => fact('Rate').locator('dd').innerText(), { timeout: 20_000 }).toMatch(/\d\/(s|min)$/);
      await expect.poll(() => fact('ETA').locator('dd').innerText(), { timeout: 20_000 }).toMatch(/^in \d/);
      expect(await fits(page)).toEqual({ page: true, panel: true, tables: true });
      await page.screenshot({ path: join(SHOTS, `dashboard-${width}-detail.png`) });
    }
  }, 90_000);
});

describe('with AUTH_MODE=jwt', () => {
  let jwt: Harness;
  beforeAll(async () => {
    jwt = await startHarness({ realTime: true, batchCount: 20, env: { ...JWT_TEST_ENV, LIVE_POLL_RUNNING_MS: '250' } });
  }, 60_000);
  afterAll(async () => {
    await jwt?.close();
  });

  it('asks for a bearer token, keeps it in session storage, and asks again when it expires', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    // The page itself needs no token.
    const response = await page.goto(`${new URL(jwt.url).origin}/dashboard/`);
    expect(response?.status()).toBe(200);
    const dialog = page.getByRole('dialog', { name: 'Bearer token' });
    await dialog.waitFor({ timeout: 15_000 });
    expect(await dialog.innerText()).toMatch(/bearer token/i);
    // A token that expires in 6 s.
    await dialog.getByLabel('Token (JWT)').fill(await bearer({ expires: Math.floor(Date.now() / 1000) + 6 }));
    await dialog.getByRole('button', { name: 'Use token' }).click();
    await expect.poll(() => rows(page).count(), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(await page.evaluate(() => sessionStorage.getItem('batchql.token'))).toMatch(/^eyJ/);
    await expect.poll(() => page.locator('.live-status').innerText(), { timeout: 15_000 }).toMatch(/Live · \d+/);
    // At expiry the gateway ends the live stream (UNAUTHENTICATED, then a 4403 close): the page asks again.
    await dialog.waitFor({ timeout: 20_000 });
    expect(await dialog.innerText()).toMatch(/expired|refused/i);
    await dialog.getByLabel('Token (JWT)').fill(await bearer());
    await dialog.getByRole('button', { name: 'Use token' }).click();
    await expect.poll(() => page.locator('.live-status').innerText(), { timeout: 15_000 }).toMatch(/Live · \d+/);
    expect(await dialog.isVisible()).toBe(false);
  }, 60_000);
});
