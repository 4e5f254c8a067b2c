/**
 * `npm run bench:dashboard`: the dashboard in headless chromium (Debian's, through playwright-core) against
 * the built gateway (`dist/`, as `npm start` runs it) in front of the simulators on a real clock, with a
 * data set where most batches run. It opens `/dashboard/?size=100`, waits for the 100 rows, then watches
 * 10 s of live updates, and prints the first contentful paint and the cumulative layout shift (the
 * largest session window, as Chrome's CLS is defined, and the plain sum), plus how many progress
 * bars moved. Goals: FCP <= 1 s, CLS <= 0.1.
 *   BENCH_SECONDS (default 10), BENCH_ROWS (100), BENCH_SCREENSHOT (a PNG path: the page at the end).
 */
import { simulatorEnv } from '../src/dev/gateway-env.js';
import { BUILT_COMMAND, spawnGateway } from '../src/dev/gateway-process.js';
import { createSystemClock, startSimulators } from '../src/dev/simulators/index.js';
import { launchChromium } from '../test/helpers/browser.js';
import { buildIfStale } from './build.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const rows = Number(process.env.BENCH_ROWS ?? 100);
const screenshot = process.env.BENCH_SCREENSHOT;

buildIfStale();
const sims = await startSimulators({ clock: createSystemClock(), seed: 5, batchCount: 300, profile: 'longRunning' });
const gateway = await spawnGateway(
  {
    ...simulatorEnv(sims),
    AUTH_MODE: 'none',
    FACTCHECK_PLAN: 'enterprise',
    GAMEBALL_RATE_LIMIT: 'none',
  },
  { command: BUILT_COMMAND, maxOutputChars: 100_000 },
);
const browser = await launchChromium();
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  // Layout shifts from the very start, kept in the page (buffered entries cover what came before).
  await page.addInitScript(() => {
    const w = window as unknown as { __shifts: { value: number; time: number }[] };
    w.__shifts = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as unknown as { value: number; hadRecentInput: boolean; startTime: number }[])
        if (!e.hadRecentInput) w.__shifts.push({ value: e.value, time: e.startTime });
    }).observe({ type: 'layout-shift', buffered: true });
  });
  const origin = new URL(gateway.url).origin;
  await page.goto(`${origin}/dashboard/?size=${rows}`, { waitUntil: 'load' });
  await page
    .locator('table.batches tbody tr')
    .nth(rows - 1)
    .waitFor({ timeout: 30_000 });
  const rowsAt = await page.evaluate(() => performance.now());
  const bars = () =>
    page.$$eval('table.batches tbody [role=progressbar]', (els) => els.map((e) => e.getAttribute('aria-valuenow')));
  const before = await bars();
  await page.waitForTimeout(seconds * 1000);
  const after = await bars();
  const moved = after.filter((v, i) => v !== before[i]).length;
  const result = await page.evaluate(() => {
    const w = window as unknown as { __shifts: { value: number; time: number }[] };
    const fcp = performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN;
    // CLS: the largest session window (shifts < 1 s apart, a window at most 5 s long).
    let max = 0;
    let current = 0;
    let start = -Infinity;
    let last = -Infinity;
    let sum = 0;
    for (const s of w.__shifts) {
      sum += s.value;
      if (s.time - last > 1000 || s.time - start > 5000) {
        current = 0;
        start = s.time;
      }
      current += s.value;
      last = s.time;
      max = Math.max(max, current);
    }
    return { fcp, cls: max, sum, shifts: w.__shifts.length, live: document.querySelector('.live-status')?.textContent };
  });
  const watched = await page.locator('table.batches tbody tr[data-status="RUNNING"]').count();
  if (screenshot) await page.screenshot({ path: screenshot });
  console.log(
    [
      `dashboard bench (${new Date().toISOString().slice(0, 10)}, ${rows} rows, ${seconds} s of live updates, ` +
        'chromium headless 1280x800)',
      `  first contentful paint: ${result.fcp.toFixed(0)} ms (goal <= 1000 ms); ` +
        `${rows} rows rendered at ${rowsAt.toFixed(0)} ms`,
      `  cumulative layout shift: ${result.cls.toFixed(4)} (largest session window; goal <= 0.1), ` +
        `${result.sum.toFixed(4)} summed over ${result.shifts} shifts`,
      `  live: ${result.live}; ${moved} of ${after.length} progress bars moved, ${watched} rows running at the end`,
    ].join('\n'),
  );
} finally {
  await browser.close();
  await gateway.kill();
  await sims.close();
}
