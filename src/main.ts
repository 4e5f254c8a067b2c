import { ConfigError, loadConfig } from './config.js';
import { startGateway } from './runtime.js';
import { installSafetyNet } from './observability/safety-net.js';

/** How long after the shutdown timeout a shutdown that hangs in its last steps is cut short (exit 1). */
const HARD_STOP_GRACE_MS = 5_000;

/** `npm start` (`node dist/main.js`): the gateway against the providers configured in the environment. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const message of error.messages) console.error(`batchql: configuration error: ${message}`);
      process.exit(1);
    }
    throw error;
  }
  let running;
  try {
    running = await startGateway(config);
  } catch (error) {
    const inUse = (error as { code?: string }).code === 'EADDRINUSE';
    console.error(
      `batchql: cannot start: ${inUse ? `port ${config.port} is in use (set PORT)` : (error as Error).message}`,
    );
    process.exit(1);
  }
  const { logger } = running;
  installSafetyNet(logger, running.metrics);
  const configured = Object.keys(running.providers);
  if (configured.length === 0)
    logger.warn('no provider is configured; every batch query will fail (see docs/configuration.md)');
  // The start-up line: tests, benchmarks and tooling read the bound port from it (PORT=0 picks one), so it is
  // printed whatever LOG_LEVEL says (a child logger at info).
  logger.child({}, { level: 'info' }).info(
    {
      port: running.port,
      url: running.url,
      providers: configured,
      live: config.redis.url ? 'redis' : 'memory',
      instanceId: config.live.instanceId,
      pid: process.pid,
    },
    'listening',
  );

  const timeoutMs = config.shutdownTimeoutMs;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // `npm start` in a terminal passes Ctrl+C on as a second SIGINT: the drain goes on, bounded by its timeout.
      logger.info({ signal }, 'already shutting down');
      return;
    }
    stopping = true;
    // SIGTERM (an orchestrator): first the readiness grace, `/ready` 503 while everything is still served;
    // SIGINT (Ctrl+C, a person waiting): straight to the drain.
    const delayMs = signal === 'SIGTERM' ? config.shutdownDelayMs : 0;
    const draining = () => logger.info({ signal, timeoutMs }, 'shutting down: draining');
    if (delayMs > 0) logger.info({ signal, delayMs, timeoutMs }, 'shutting down: not ready, still serving');
    const hardStop = setTimeout(
      () => {
        logger.error({ signal }, 'shutdown did not finish; exiting');
        process.exit(1);
      },
      delayMs + timeoutMs + HARD_STOP_GRACE_MS,
    );
    hardStop.unref();
    running.shutdown({ timeoutMs, delayMs, onDrain: draining }).then(
      (report) => {
        logger[report.forced ? 'warn' : 'info']({ signal, ...report }, 'stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ signal, err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
