/**
 * `npm run bench:notify`: outbound webhooks under a burst of finishing batches (issue 33, docs/notifications.md).
 *
 * BENCH_BATCHES (2,000) Check batches of ITEMS items each are submitted through the gateway's GraphQL API
 * (`submitFactCheckBatch`), spread over BENCH_SUBMIT_SECONDS (45 s). The Check simulator runs a batch created
 * through its API 1 s queued and then 10 s + 20 ms an item (`CREATED_BATCH_TIMING`, real clock), so they finish
 * about 11 s after their submission: all of them within about one minute. The gateway (its own process,
 * `spawnGateway`, the embedded ledger in a temporary DATA_DIR, `LOG_LEVEL=warn`) watches every submitted batch in
 * the background (`WATCH_BACKGROUND_*`, `LIVE_POLL_BACKGROUND_MS`) through Check's list (`LIVE_BULK_REFRESH`), so
 * it sees them finish without anybody asking, and writes one terminal event each into the outbox.
 *
 * Three endpoints (`src/dev/webhook-receiver.ts`, on loopback, each verifying the Standard Webhooks signature)
 * subscribe to the four terminal events: `healthy` (204 at once), `slow` (204 after 2 s) and `failing` (500 on
 * half of the requests: whether one fails is a hash of its `webhook-id` and attempt number, so every retry is a new
 * toss and a delivery eventually succeeds).
 *
 * Measured, per endpoint, from the bench's own records (the simulators run in this process):
 * - lag: the simulator's finish of each batch (its model's `completedAt`: `control.changedAt(id, total)`) to the
 *   receiver's first request carrying that batch's event, p50 and p99; split in two at the payload's `timestamp`
 *   (when the gateway saw the change): upstream observation, and the outbox and worker;
 * - duplicates: event ids answered 2xx more than once;
 * - undelivered: batches the simulator lists as finished (its own `idsByState`) with no 2xx at the endpoint once
 *   the drain ends (every endpoint done, or BENCH_DRAIN_SECONDS after the last finish);
 * - the gateway process's CPU time (/proc/<pid>/stat) and peak RSS over the load window (from the first submission
 *   to BENCH_SETTLE_SECONDS after the last finish), against a second run without endpoints (BENCH_BASELINE=0 skips
 *   it); and the upstream calls the simulator received, per minute, against Check's Enterprise quota.
 *
 * The quota: every finished Check batch costs the gateway one read of its own (a list walk covers only running
 * batches, `capabilities.ts` `bulkRefresh.statuses`), and every submission one create (plus its read-back), so
 * 2,000 batches finishing in a minute ask for several thousand calls a minute, over Enterprise's 1,000 (700 for
 * polling with `UPSTREAM_INTERACTIVE_SHARE` 0.3). By default (BENCH_PLAN=unlimited) the simulator enforces no quota
 * and the gateway has no budget, so the burst really reaches the outbox, and the calls it took are printed against
 * Enterprise's quota. BENCH_PLAN=enterprise enforces the plan on both sides (the simulator's 429s, the gateway's
 * `FACTCHECK_PLAN=enterprise` budget; a submission refused for budget is retried after its `retryAfterMs`): the
 * lag then shows what the quota costs.
 *
 * Delivery settings: the gateway's defaults (`WEBHOOK_CONCURRENCY` 32, `WEBHOOK_CONCURRENCY_PER_ENDPOINT` 8),
 * except a retry schedule short enough for the failing endpoint to finish within the drain
 * (BENCH_RETRY_SCHEDULE, 15 retries of 1-5 s: 2,000 × 2^-16 ≈ 0.03 expected to run out) and the circuit
 * (BENCH_CIRCUIT_FAILURES, 40: at 50 % failures, 10 in a row, the default, come about once in 2,000 attempts by
 * chance, and would pause the failing endpoint for 5 minutes). The slow endpoint is bound by its concurrency: 8 at
 * 2 s is 4 a second, 2,000 take about 500 s, so it is not expected to be done within the drain; its undelivered
 * count is its backlog (printed beside its throughput), not a loss. BENCH_PER_ENDPOINT and BENCH_CONCURRENCY set
 * the two concurrency variables for a run.
 *
 * Env: BENCH_BATCHES (2000), BENCH_SUBMIT_SECONDS (45), BENCH_DRAIN_SECONDS (60), BENCH_SETTLE_SECONDS (15),
 * BENCH_PLAN (unlimited | enterprise), BENCH_BASELINE (1), BENCH_PER_ENDPOINT, BENCH_CONCURRENCY,
 * BENCH_RETRY_SCHEDULE, BENCH_CIRCUIT_FAILURES.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulatorEnv } from '../src/dev/gateway-env.js';
import { spawnGateway, type GatewayProcess } from '../src/dev/gateway-process.js';
import { createSystemClock, startSimulators, type Simulators } from '../src/dev/simulators/index.js';
import { startWebhookReceiver, type WebhookReceiver } from '../src/dev/webhook-receiver.js';
import { cpuSeconds, rssBytes } from '../test/helpers/process-stats.js';

const batchCount = Number(process.env.BENCH_BATCHES ?? 2000);
const submitSeconds = Number(process.env.BENCH_SUBMIT_SECONDS ?? 45);
const drainSeconds = Number(process.env.BENCH_DRAIN_SECONDS ?? 60);
const settleSeconds = Number(process.env.BENCH_SETTLE_SECONDS ?? 15);
const plan = (process.env.BENCH_PLAN ?? 'unlimited') as 'unlimited' | 'enterprise';
const baseline = process.env.BENCH_BASELINE !== '0';
const retrySchedule = process.env.BENCH_RETRY_SCHEDULE ?? '1s,2s,3s,4s,5s,5s,5s,5s,5s,5s,5s,5s,5s,5s,5s';
const circuitFailures = process.env.BENCH_CIRCUIT_FAILURES ?? '40';
if (plan !== 'unlimited' && plan !== 'enterprise') throw new Error('BENCH_PLAN: unlimited or enterprise');

/** Items per batch: a few, so a batch runs about 10 s once started. */
const ITEMS = 3;
/** Submissions in flight at once (each waits for its slot in the spread first). */
const SUBMITTERS = 16;
const TERMINAL = ['BATCH_SUCCEEDED', 'BATCH_PARTIALLY_SUCCEEDED', 'BATCH_FAILED', 'BATCH_CANCELLED'];
const ENDPOINTS = ['healthy', 'slow', 'failing'] as const;
type EndpointName = (typeof ENDPOINTS)[number];
const SLOW_MS = 2_000;
const ENTERPRISE_PER_MINUTE = 1_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MiB = (bytes: number) => bytes / 1024 / 1024;

/** The gateway's environment for a run (the simulators' first, so these win). */
function gatewayEnv(sims: Simulators, dataDir: string): Record<string, string> {
  return {
    ...simulatorEnv(sims),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    NOTIFICATIONS: 'on',
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    WEBHOOK_RETRY_SCHEDULE: retrySchedule,
    WEBHOOK_CIRCUIT_FAILURES: circuitFailures,
    ...(process.env.BENCH_PER_ENDPOINT ? { WEBHOOK_CONCURRENCY_PER_ENDPOINT: process.env.BENCH_PER_ENDPOINT } : {}),
    ...(process.env.BENCH_CONCURRENCY ? { WEBHOOK_CONCURRENCY: process.env.BENCH_CONCURRENCY } : {}),
    // Every submitted batch watched in the background, read every 2 s (a Check list walk: 100 a page).
    LIVE_POLL_BACKGROUND_MS: '2000',
    WATCH_BACKGROUND_MAX: String(Math.max(2_000, batchCount + 500)),
    WATCH_BACKGROUND_SCAN_MS: '1000',
    LIVE_BULK_REFRESH: 'true',
    // One client submits them all: its share of the interactive budget is the whole of it.
    UPSTREAM_CLIENT_SHARE: '1',
    ...(plan === 'enterprise' ? { FACTCHECK_PLAN: 'enterprise', FACTCHECK_RATE_LIMIT: '' } : {}),
  };
}

interface GqlResult {
  data?: Record<string, unknown>;
  errors?: { message: string; extensions?: { code?: string; retryAfterMs?: number } }[];
}

async function gql(url: string, query: string, variables: Record<string, unknown> = {}): Promise<GqlResult> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GqlResult;
}

const CREATE = `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
  endpoint { id } secret userErrors { code message } } }`;
const SUBMIT = `mutation($input: SubmitFactCheckBatchInput!) { submitFactCheckBatch(input: $input) {
  batch { providerBatchId } userErrors { code message } } }`;

/** Whether the failing endpoint refuses this request: half of them, by a hash of the message id and attempt. */
const refuses = (id: string, attempt: number) => createHash('sha256').update(`${id}:${attempt}`).digest()[0]! % 2 === 0;

async function startReceivers(): Promise<{
  receivers: Record<EndpointName, WebhookReceiver>;
  secrets: Record<EndpointName, string>;
}> {
  const secrets: Record<EndpointName, string> = { healthy: '', slow: '', failing: '' };
  const make = (name: EndpointName, respond: Parameters<typeof startWebhookReceiver>[0]['respond']) =>
    startWebhookReceiver({ secrets: () => [secrets[name]], ...(respond ? { respond } : {}) });
  const receivers = {
    healthy: await make('healthy', (d) => ({ status: d.verified ? 204 : 400 })),
    slow: await make('slow', (d) => ({ status: d.verified ? 204 : 400, delayMs: SLOW_MS })),
    failing: await make('failing', (d) => ({ status: !d.verified ? 400 : refuses(d.id, d.attempt) ? 500 : 204 })),
  };
  return { receivers, secrets };
}

/** Samples the gateway's CPU seconds and RSS every 200 ms; `mark()` cuts the load window. */
function sampler(pid: number) {
  const cpu0 = cpuSeconds(pid);
  let peak = rssBytes(pid);
  let windowPeak = peak;
  let windowCpu: number | undefined;
  let open = true;
  const timer = setInterval(() => {
    try {
      const rss = rssBytes(pid);
      peak = Math.max(peak, rss);
      if (open) windowPeak = Math.max(windowPeak, rss);
    } catch {
      // the process has gone
    }
  }, 200);
  return {
    mark: () => {
      open = false;
      windowCpu = cpuSeconds(pid) - cpu0;
    },
    stop: () => {
      clearInterval(timer);
      const total = cpuSeconds(pid) - cpu0;
      return { windowCpu: windowCpu ?? total, windowPeakRss: windowPeak, totalCpu: total, peakRss: peak };
    },
  };
}

/** Submits `count` batches, spread evenly over `seconds`, SUBMITTERS at once; answers their Check ids. */
async function submitAll(url: string, count: number, seconds: number) {
  const ids: string[] = [];
  const problems = new Map<string, number>();
  let retried = 0;
  let next = 0;
  const start = Date.now();
  const spacing = (seconds * 1000) / count;
  const one = async (i: number) => {
    const input = {
      name: `bench-notify #${i}`,
      items: Array.from({ length: ITEMS }, (_, k) => ({ content: `Claim ${k} of bench batch ${i}.` })),
    };
    for (let attempt = 0; attempt < 20; attempt++) {
      const r = await gql(url, SUBMIT, { input });
      const payload = r.data?.submitFactCheckBatch as
        { batch: { providerBatchId: string } | null; userErrors: { code: string }[] } | undefined;
      if (payload?.batch) return void ids.push(payload.batch.providerBatchId);
      const error = r.errors?.[0];
      const code = error?.extensions?.code ?? payload?.userErrors[0]?.code ?? 'UNKNOWN';
      if (code === 'PROVIDER_RATE_LIMITED') {
        retried++;
        await sleep(Math.max(200, error?.extensions?.retryAfterMs ?? 1000));
        continue;
      }
      problems.set(code, (problems.get(code) ?? 0) + 1);
      return;
    }
    problems.set('GAVE_UP', (problems.get('GAVE_UP') ?? 0) + 1);
  };
  await Promise.all(
    Array.from({ length: SUBMITTERS }, async () => {
      for (let i = next++; i < count; i = next++) {
        const due = start + i * spacing;
        if (due > Date.now()) await sleep(due - Date.now());
        await one(i);
      }
    }),
  );
  return { ids, problems, retried, seconds: (Date.now() - start) / 1000 };
}

const pct = (values: readonly number[], p: number) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const secs = (ms: number) => (Number.isNaN(ms) ? '—' : (ms / 1000).toFixed(2));

interface EndpointFigures {
  lag: { p50: number; p99: number; max: number; n: number };
  observe: { p50: number; p99: number };
  pipeline: { p50: number; p99: number; max: number };
  requests: number;
  delivered: number;
  duplicates: number;
  undelivered: number;
  unverified: number;
  /** Deliveries answered 2xx a second, from the first request to the last 2xx. */
  throughput: number;
  lastDeliveredAfterFinish: number;
}

interface RunFigures {
  endpoints: boolean;
  submitted: number;
  submitProblems: Record<string, number>;
  submitRetries: number;
  submitSeconds: number;
  finished: number;
  finishSpanSeconds: number;
  drainSeconds: number;
  drained: boolean;
  upstream: { byRoute: Record<string, number>; total: number; peakPerMinute: number; refused: number };
  cpu: { windowSeconds: number; windowCpu: number; windowPeakRssMiB: number; totalCpu: number; peakRssMiB: number };
  perEndpoint?: Record<EndpointName, EndpointFigures>;
  warnings: string[];
}

/** Each endpoint's figures from its receiver's records, against the simulator's finish times. */
function figures(receiver: WebhookReceiver, finishedAt: Map<string, number>, lastFinish: number): EndpointFigures {
  const first = new Map<string, number>();
  const observedAt = new Map<string, number>();
  const batchOf = new Map<string, string>();
  const ok = new Map<string, number>();
  let lastOk = 0;
  let firstRequest = Number.POSITIVE_INFINITY;
  let unverified = 0;
  for (const d of receiver.deliveries) {
    if (!d.verified) unverified++;
    const body = d.body as { timestamp?: string; data?: { batch?: { providerBatchId?: string } } } | undefined;
    const batch = body?.data?.batch?.providerBatchId;
    if (!batch) continue;
    firstRequest = Math.min(firstRequest, d.receivedAt);
    batchOf.set(d.id, batch);
    if (!first.has(d.id)) {
      first.set(d.id, d.receivedAt);
      if (body?.timestamp) observedAt.set(d.id, Date.parse(body.timestamp));
    }
    if (d.status >= 200 && d.status < 300) {
      ok.set(d.id, (ok.get(d.id) ?? 0) + 1);
      lastOk = Math.max(lastOk, d.receivedAt);
    }
  }
  const lags: number[] = [];
  const observe: number[] = [];
  const pipeline: number[] = [];
  for (const [id, at] of first) {
    const finish = finishedAt.get(batchOf.get(id)!);
    if (finish === undefined) continue;
    lags.push(at - finish);
    const seen = observedAt.get(id);
    if (seen !== undefined) (observe.push(seen - finish), pipeline.push(at - seen));
  }
  const deliveredBatches = new Set([...ok.keys()].map((id) => batchOf.get(id)!));
  const delivered = [...ok.keys()].length;
  return {
    lag: { p50: pct(lags, 50), p99: pct(lags, 99), max: pct(lags, 100), n: lags.length },
    observe: { p50: pct(observe, 50), p99: pct(observe, 99) },
    pipeline: { p50: pct(pipeline, 50), p99: pct(pipeline, 99), max: pct(pipeline, 100) },
    requests: receiver.deliveries.length,
    delivered,
    duplicates: [...ok.values()].filter((n) => n > 1).length,
    undelivered: [...finishedAt.keys()].filter((b) => !deliveredBatches.has(b)).length,
    unverified,
    throughput: lastOk > firstRequest ? delivered / ((lastOk - firstRequest) / 1000) : NaN,
    lastDeliveredAfterFinish: lastOk > 0 ? (lastOk - lastFinish) / 1000 : NaN,
  };
}

/** The most calls any 60 s of the run held, from `[time, total calls so far]` samples taken every second. */
function peakPerMinute(samples: readonly [number, number][]): number {
  let peak = 0;
  for (let i = 0, j = 0; i < samples.length; i++) {
    while (samples[i]![0] - samples[j]![0] > 60_000) j++;
    peak = Math.max(peak, samples[i]![1] - samples[j]![1]);
  }
  return peak;
}

async function run(withEndpoints: boolean, seed: number): Promise<RunFigures> {
  const sims = await startSimulators({
    clock: createSystemClock(),
    seed,
    // A small seeded data set: the lists the walks read hold the bench's batches, and few others.
    batchCount: 20,
    factCheckPlan: plan,
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'batchql-bench-notify-'));
  const { receivers, secrets } = await startReceivers();
  let gateway: GatewayProcess | undefined;
  try {
    gateway = await spawnGateway(gatewayEnv(sims, dataDir), { maxOutputChars: 200_000 });
    const pid = gateway.child.pid!;
    if (withEndpoints)
      for (const name of ENDPOINTS) {
        const r = await gql(gateway.url, CREATE, {
          input: { url: receivers[name].url, events: TERMINAL, description: `bench ${name}` },
        });
        const created = r.data?.createWebhookEndpoint as { secret: string; userErrors: unknown[] } | undefined;
        if (!created?.secret) throw new Error(`endpoint ${name} not created: ${JSON.stringify(r)}`);
        secrets[name] = created.secret;
      }
    sims.factCheck.control.resetCounters();
    const stats = sampler(pid);
    const t0 = Date.now();
    const calls: [number, number][] = [[t0, 0]];
    const counting = setInterval(() => calls.push([Date.now(), sims.factCheck.control.totalRequests()]), 1000);
    const submitted = await submitAll(gateway.url, batchCount, submitSeconds);
    const mine = new Set(submitted.ids);
    const sim = sims.factCheck.control;
    const finishOf = (id: string) => sim.changedAt(id, ITEMS);
    // Every batch finishes on the simulator's model; wait for the last one (its own state list).
    const finishedIds = () => {
      const states = sim.idsByState();
      return ['done', 'partial', 'failed', 'cancelled'].flatMap((s) => states[s] ?? []).filter((id) => mine.has(id));
    };
    const lastPlanned = Math.max(...submitted.ids.map((id) => finishOf(id) ?? 0));
    if (lastPlanned > Date.now()) await sleep(lastPlanned - Date.now() + 100);
    const finished = finishedIds();
    const finishedAt = new Map(finished.map((id) => [id, finishOf(id)!]));
    const finishes = [...finishedAt.values()];
    const lastFinish = Math.max(...finishes);
    const settleUntil = lastFinish + settleSeconds * 1000;
    if (settleUntil > Date.now()) await sleep(settleUntil - Date.now());
    stats.mark();
    const windowSeconds = (Date.now() - t0) / 1000;
    // The drain: until every endpoint has a 2xx for every finished batch, or the deadline.
    const deadline = lastFinish + drainSeconds * 1000;
    const allDelivered = () =>
      ENDPOINTS.every((name) => {
        const done = new Set<string>();
        for (const d of receivers[name].deliveries) {
          const b = (d.body as { data?: { batch?: { providerBatchId?: string } } } | undefined)?.data?.batch;
          if (d.status >= 200 && d.status < 300 && b?.providerBatchId) done.add(b.providerBatchId);
        }
        return finished.every((id) => done.has(id));
      });
    let drained = !withEndpoints;
    while (withEndpoints && Date.now() < deadline) {
      if (allDelivered()) {
        drained = true;
        break;
      }
      await sleep(500);
    }
    // A little longer, so a duplicate sent late would be seen.
    if (withEndpoints) await sleep(2_000);
    const cpu = stats.stop();
    const warnings = gateway
      .logs()
      .filter((l) => Number(l.level) >= 40)
      .map((l) => String(l.msg))
      // Expected: the simulators' environment runs without client authentication.
      .filter((msg) => !msg.startsWith('AUTH_MODE=none'));
    clearInterval(counting);
    calls.push([Date.now(), sim.totalRequests()]);
    return {
      endpoints: withEndpoints,
      submitted: submitted.ids.length,
      submitProblems: Object.fromEntries(submitted.problems),
      submitRetries: submitted.retried,
      submitSeconds: submitted.seconds,
      finished: finished.length,
      finishSpanSeconds: (lastFinish - Math.min(...finishes)) / 1000,
      drainSeconds: (Date.now() - lastFinish) / 1000,
      drained,
      upstream: {
        byRoute: sim.counters(),
        total: sim.totalRequests(),
        peakPerMinute: peakPerMinute(calls),
        refused: sim.refused(),
      },
      cpu: {
        windowSeconds,
        windowCpu: cpu.windowCpu,
        windowPeakRssMiB: MiB(cpu.windowPeakRss),
        totalCpu: cpu.totalCpu,
        peakRssMiB: MiB(cpu.peakRss),
      },
      ...(withEndpoints
        ? {
            perEndpoint: Object.fromEntries(
              ENDPOINTS.map((name) => [name, figures(receivers[name], finishedAt, lastFinish)]),
            ) as Record<EndpointName, EndpointFigures>,
          }
        : {}),
      warnings: [...new Set(warnings)],
    };
  } finally {
    await gateway?.kill();
    for (const r of Object.values(receivers)) await r.close();
    await sims.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function report(runs: RunFigures[]): void {
  for (const r of runs) {
    const label = r.endpoints ? 'with 3 endpoints' : 'without endpoints';
    console.log(
      `\n${label}: ${r.submitted}/${batchCount} submitted in ${r.submitSeconds.toFixed(1)} s` +
        (r.submitRetries ? ` (${r.submitRetries} retried after PROVIDER_RATE_LIMITED)` : '') +
        (Object.keys(r.submitProblems).length ? `, refused ${JSON.stringify(r.submitProblems)}` : '') +
        `; ${r.finished} finished on the simulator within ${r.finishSpanSeconds.toFixed(1)} s`,
    );
    console.log(
      `  upstream (Check simulator): ${r.upstream.total} calls ${JSON.stringify(r.upstream.byRoute)}; ` +
        `the busiest 60 s held ${r.upstream.peakPerMinute} (Enterprise allows ${ENTERPRISE_PER_MINUTE}, ` +
        `${ENTERPRISE_PER_MINUTE * 0.7} of them for polling); 429s ${r.upstream.refused}`,
    );
    console.log(
      `  gateway: CPU ${r.cpu.windowCpu.toFixed(1)} s over the ${r.cpu.windowSeconds.toFixed(0)} s load window ` +
        `(peak RSS ${r.cpu.windowPeakRssMiB.toFixed(0)} MiB); ` +
        `whole run incl. drain CPU ${r.cpu.totalCpu.toFixed(1)} s, peak RSS ${r.cpu.peakRssMiB.toFixed(0)} MiB`,
    );
    if (r.warnings.length) console.log(`  gateway warnings: ${r.warnings.slice(0, 6).join(' | ')}`);
  }
  const withE = runs.find((r) => r.endpoints);
  if (withE?.perEndpoint) {
    console.log(
      `\n| endpoint | lag finish→1st attempt p50 / p99 / max (s) | of which: gateway saw it p50 / p99 (s) | ` +
        `outbox+worker p50 / p99 / max (s) | requests | delivered (2xx) | duplicates | ` +
        `undelivered after the drain (loss or backlog) | 2xx/s | last 2xx after the last finish (s) |`,
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    for (const name of ENDPOINTS) {
      const e = withE.perEndpoint[name];
      console.log(
        `| ${name} | ${secs(e.lag.p50)} / ${secs(e.lag.p99)} / ${secs(e.lag.max)} | ` +
          `${secs(e.observe.p50)} / ${secs(e.observe.p99)} | ` +
          `${secs(e.pipeline.p50)} / ${secs(e.pipeline.p99)} / ${secs(e.pipeline.max)} | ${e.requests} | ` +
          `${e.delivered} | ${e.duplicates} | ${e.undelivered} | ${e.throughput.toFixed(1)} | ` +
          `${e.lastDeliveredAfterFinish.toFixed(1)} |`,
      );
    }
    console.log(
      `drain: ${withE.drained ? 'every endpoint had every finished batch' : 'NOT all delivered'} ` +
        `${withE.drainSeconds.toFixed(0)} s after the last finish (limit ${drainSeconds} s); ` +
        `"undelivered" counts finished batches without a 2xx then: the slow endpoint's is its backlog ` +
        `(${process.env.BENCH_PER_ENDPOINT ?? 8} at once × ${SLOW_MS / 1000} s a response), not a loss`,
    );
    const healthy = withE.perEndpoint.healthy;
    console.log(
      `goals: healthy p99 ≤ 5 s: ${healthy.lag.p99 <= 5_000 ? 'met' : 'MISSED'} (${secs(healthy.lag.p99)} s); ` +
        `duplicates 0: ${ENDPOINTS.every((n) => withE.perEndpoint![n].duplicates === 0) ? 'met' : 'MISSED'}; ` +
        `healthy undelivered 0: ${healthy.undelivered === 0 ? 'met' : 'MISSED'}`,
    );
  }
  const base = runs.find((r) => !r.endpoints);
  if (withE && base)
    console.log(
      `gateway cost of the 3 endpoints over the load window: CPU ${withE.cpu.windowCpu.toFixed(1)} s vs ` +
        `${base.cpu.windowCpu.toFixed(1)} s without (+${(withE.cpu.windowCpu - base.cpu.windowCpu).toFixed(1)} s), ` +
        `peak RSS ${withE.cpu.windowPeakRssMiB.toFixed(0)} vs ${base.cpu.windowPeakRssMiB.toFixed(0)} MiB`,
    );
}

console.log(
  `batchql bench:notify: ${new Date().toISOString()}, ${batchCount} Check batches of ${ITEMS} items submitted over ` +
    `${submitSeconds} s, plan ${plan}, 3 endpoints (healthy, slow ${SLOW_MS / 1000} s, failing 50 %), ` +
    `WEBHOOK_RETRY_SCHEDULE=${retrySchedule}, WEBHOOK_CIRCUIT_FAILURES=${circuitFailures}, ` +
    `WEBHOOK_CONCURRENCY_PER_ENDPOINT=${process.env.BENCH_PER_ENDPOINT ?? '8 (default)'}, ` +
    `WEBHOOK_CONCURRENCY=${process.env.BENCH_CONCURRENCY ?? '32 (default)'}; Node ${process.version}, ` +
    `${cpus().length} cores, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
);
const runs = [await run(true, 33)];
if (baseline) runs.push(await run(false, 33));
report(runs);
console.log(
  `load average at the end: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log(JSON.stringify({ bench: 'notify', at: new Date().toISOString(), batches: batchCount, plan, runs }));
process.exit(0);
