/**
 * `npm run demo`: builds the dashboard when its bundle is missing or stale, starts the three provider
 * simulators on loopback (real HTTP servers with a real clock, so running batches progress, and rolling batches
 * so some are always queued and running) and the gateway in front of them, then prints the dashboard and
 * GraphiQL URLs and example queries with ids of the demo's data (`demo-examples.ts`, as in the README and
 * docs/). It logs warnings only, for people (`LOG_LEVEL=info` brings every operation's line back), so what it
 * printed stays on screen; Ctrl+C says what it stopped.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config.js';
import { readFragment } from '../config/settings.js';
import { serverSettings } from '../http/server-settings.js';
import { DEMO_SIMULATORS, demoCurl, demoExamples, graphiqlTabs, liveBatch, printExample } from './demo-examples.js';
import { simulatorEnv } from './gateway-env.js';
import { readableLog } from './readable-log.js';
import { startGateway } from '../runtime.js';
import { installSafetyNet } from '../observability/safety-net.js';
import { createSystemClock, startSimulators } from './simulators/index.js';
import { startWebhookReceiver } from './webhook-receiver.js';

// The dashboard's bundle (dist/dashboard/), built by the same script as `npm run build`, only when stale.
{
  const script = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'build.mjs');
  const built = spawnSync(process.execPath, [script, '--if-stale', '--dashboard'], { stdio: 'inherit' });
  if (built.status !== 0) {
    console.error('batchql demo: the dashboard could not be built (see above); GraphiQL still works');
  }
}

// The simulators enforce the documented quotas (Check on its Pro plan, Gameball's two windows) and the
// gateway's budget follows the same plan, so the demo runs as it would against the real providers.
// Their data is seeded, so the printed examples and the docs' use ids that exist (demo-examples.ts), and rolling
// batches keep some queued and running on every provider however long the demo runs.
const sims = await startSimulators({ ...DEMO_SIMULATORS, clock: createSystemClock() });
// The batch the live examples (GraphiQL's tabs among them) follow: one running now, with minutes left.
const live = liveBatch(sims.factCheck);
// PORT as the gateway reads it (its default included), for the demo's own origins below.
const port = String(readFragment(serverSettings, process.env).port);
const env = {
  ...process.env,
  ...simulatorEnv(sims),
  PORT: port,
  // Warnings only, so the URLs and examples printed below stay on screen; info adds a line per operation.
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  FACTCHECK_PLAN: process.env.FACTCHECK_PLAN ?? 'pro',
  FACTCHECK_RATE_LIMIT: process.env.FACTCHECK_RATE_LIMIT ?? '',
  GAMEBALL_RATE_LIMIT: process.env.GAMEBALL_RATE_LIMIT ?? '',
  // The demo's own origin under both of its names (GraphiQL opened at one may call the other).
  CORS_ORIGINS: process.env.CORS_ORIGINS ?? `http://localhost:${port},http://127.0.0.1:${port}`,
  // A fresh ledger for each demo: the simulators start over with the same ids, so last run's readings would lie.
  DATA_DIR: process.env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'batchql-demo-')),
  // Check webhooks on: the simulator signs its batch.completed/batch.failed events with this secret.
  FACTCHECK_WEBHOOK_SECRET: process.env.FACTCHECK_WEBHOOK_SECRET ?? `whsec_demo_${randomBytes(16).toString('hex')}`,
  // The demo's own webhook receiver is on loopback: outbound webhooks may reach it (docs/notifications.md).
  WEBHOOK_ALLOWED_HOSTS: process.env.WEBHOOK_ALLOWED_HOSTS ?? '127.0.0.1',
};
const config = loadConfig(env);
let running;
try {
  running = await startGateway(config, { graphiqlTabs: graphiqlTabs(live.id), logDestination: readableLog() });
} catch (error) {
  const code = (error as { code?: string }).code;
  console.error(
    `batchql demo: cannot start: ${
      code === 'EADDRINUSE' ? `port ${config.port} is in use; try PORT=4001 npm run demo` : (error as Error).message
    }`,
  );
  await sims.close();
  process.exit(1);
}
const gateway = running;
installSafetyNet(gateway.logger, gateway.metrics);
// The Check simulator posts finished batches to the gateway's webhook route (its control API, see Simulators).
const webhookUrl = `http://127.0.0.1:${gateway.port}/webhooks/check`;
await fetch(`${sims.factCheck.url}/__sim/webhooks`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ url: webhookUrl, secret: env.FACTCHECK_WEBHOOK_SECRET }),
});
// Outbound webhooks: a small receiver on loopback, registered through the API as a user would, prints what it gets.
const notifications = await demoWebhooks(gateway.url).catch((error: unknown) => {
  console.error(`batchql demo: the webhook receiver could not be set up: ${(error as Error).message}`);
  return undefined;
});
{
  console.log(
    `batchql demo: simulators at ${sims.reach.url} (Reach), ${sims.gameball.url} (Gameball), ` +
      `${sims.factCheck.url} (Check)`,
  );
  const origin = new URL(gateway.url).origin;
  console.log(`\nDashboard: ${origin}/dashboard\nGraphiQL:  ${gateway.url}\n`);
  console.log(
    `Ledger: ${env.DATA_DIR} (new for this demo: the simulators start over; set DATA_DIR to keep one). ` +
      'Gameball batches you submit or open are listed from it, and finished batches are read once.\n',
  );
  console.log(
    `Check webhooks: the Check simulator posts signed batch.completed/batch.failed events to ${webhookUrl}; ` +
      'a watched Check batch that finishes ends then, without waiting for its next poll.\n',
  );
  if (notifications)
    console.log(
      `Webhooks: a receiver at ${notifications.url} is registered for every batch event (endpoint ` +
        `${notifications.endpoint}); it verifies each signature and prints a line per delivery ("webhook …"). ` +
        'A test event comes at once; a Check batch submitted now sends batch.submitted, then its finish within a ' +
        'minute.\n',
    );
  const minutes = Math.max(1, Math.round((live.endsAt - Date.now()) / 60_000));
  console.log(
    `Try these in GraphiQL, where each is a tab with its variables filled in (WatchLive follows Check batch ` +
      `${live.id}, running now, about ${minutes} min left):\n`,
  );
  for (const example of demoExamples(live.id)) console.log(`${printExample(example)}\n`);
  console.log(`From a shell (SSE): ${demoCurl(gateway.url, live.id)}\n`);
  console.log(
    'Every provider gets a new batch a minute, for ever. Logged: warnings only (LOG_LEVEL=info for every operation).',
  );
  console.log('Press Ctrl+C to stop.');
}

// Says what stopped once it has, so a Ctrl+C is never met with silence.
const stop = () => {
  void Promise.all([gateway.close(), sims.close(), notifications?.close()]).finally(() => {
    console.log('\nbatchql demo: stopped the gateway and the simulators');
    process.exit(0);
  });
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

/**
 * Starts the demo's webhook receiver, registers it through the GraphQL API for every batch event, sends it a test
 * event and submits a small Check batch, so its lifecycle reaches the receiver within a minute.
 */
async function demoWebhooks(url: string): Promise<{ url: string; endpoint: string; close(): Promise<void> }> {
  let secret = '';
  const receiver = await startWebhookReceiver({ secrets: () => [secret], log: (line) => console.log(line) });
  const gql = async (query: string, variables: Record<string, unknown> = {}) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: Record<string, unknown>; errors?: { message: string }[] };
    if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
    return body.data!;
  };
  const created = await gql(
    `mutation ($url: String!) { createWebhookEndpoint(input: { url: $url, description: "npm run demo",
      events: [BATCH_SUBMITTED, BATCH_STARTED, BATCH_SUCCEEDED, BATCH_PARTIALLY_SUCCEEDED, BATCH_FAILED,
        BATCH_CANCELLED, BATCH_STALLED, BATCH_SLOW, BATCH_RECOVERED] }) {
      endpoint { id } secret userErrors { message } } }`,
    { url: receiver.url },
  );
  const answer = created.createWebhookEndpoint as { endpoint: { id: string } | null; secret: string | null };
  if (!answer.endpoint || !answer.secret) throw new Error(JSON.stringify(created));
  secret = answer.secret;
  await gql('mutation ($id: ID!) { testWebhookEndpoint(id: $id) { delivery { id } } }', { id: answer.endpoint.id });
  await gql(`mutation { submitFactCheckBatch(input: { items: [{ content: "The demo's webhook batch." },
    { content: "It finishes within a minute." }] }) { batch { id } } }`);
  return { url: receiver.url, endpoint: answer.endpoint.id, close: () => receiver.close() };
}
