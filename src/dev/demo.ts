/**
 * `npm run demo`: builds the dashboard when its bundle is missing or stale, starts the three provider
 * simulators on loopback (real HTTP servers with a real clock, so running batches progress) and the
 * gateway in front of them, then prints the dashboard and GraphiQL URLs and example queries with ids of
 * the seeded data (`demo-examples.ts`, as in the README and docs/).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config.js';
import { readFragment } from '../config/settings.js';
import { serverSettings } from '../http/server-settings.js';
import { DEMO_SIMULATORS, demoCurl, demoExamples, submitAndWatch } from './demo-examples.js';
import { simulatorEnv } from './gateway-env.js';
import { startGateway } from '../runtime.js';
import { installSafetyNet } from '../observability/safety-net.js';
import { createSystemClock, startSimulators } from './simulators/index.js';

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
// Their data is seeded, so the printed examples and the docs' use ids that exist (demo-examples.ts).
const sims = await startSimulators({ ...DEMO_SIMULATORS, clock: createSystemClock() });
// PORT as the gateway reads it (its default included), for the demo's own origins below.
const port = String(readFragment(serverSettings, process.env).port);
const env = {
  ...process.env,
  ...simulatorEnv(sims),
  PORT: port,
  FACTCHECK_PLAN: process.env.FACTCHECK_PLAN ?? 'pro',
  FACTCHECK_RATE_LIMIT: process.env.FACTCHECK_RATE_LIMIT ?? '',
  GAMEBALL_RATE_LIMIT: process.env.GAMEBALL_RATE_LIMIT ?? '',
  // The demo's own origin under both of its names (GraphiQL opened at one may call the other).
  CORS_ORIGINS: process.env.CORS_ORIGINS ?? `http://localhost:${port},http://127.0.0.1:${port}`,
  // Check webhooks on: the simulator signs its batch.completed/batch.failed events with this secret.
  FACTCHECK_WEBHOOK_SECRET: process.env.FACTCHECK_WEBHOOK_SECRET ?? `whsec_demo_${randomBytes(16).toString('hex')}`,
};
const config = loadConfig(env);
let running;
try {
  running = await startGateway(config, { graphiqlDefaultQuery: submitAndWatch().document });
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
{
  console.log(
    `batchql demo: simulators at ${sims.reach.url} (Reach), ${sims.gameball.url} (Gameball), ` +
      `${sims.factCheck.url} (Check)`,
  );
  const origin = new URL(gateway.url).origin;
  console.log(`\nDashboard: ${origin}/dashboard\nGraphiQL:  ${gateway.url}\n`);
  console.log(
    `Check webhooks: the Check simulator posts signed batch.completed/batch.failed events to ${webhookUrl}; ` +
      'a watched Check batch that finishes ends then, without waiting for its next poll.\n',
  );
  console.log('Try these in GraphiQL (WatchOne follows a Check batch that runs for four minutes, then completes):\n');
  for (const example of demoExamples()) console.log(`${example.document}\n`);
  console.log(`From a shell (SSE): ${demoCurl(gateway.url)}\n`);
  console.log('Press Ctrl+C to stop.');
}

const stop = () => {
  void Promise.all([gateway.close(), sims.close()]).finally(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
