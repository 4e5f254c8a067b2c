import { ConfigError, loadConfig } from './config.js';
import { startGateway } from './runtime.js';
import { installSafetyNet } from './safety-net.js';

/** `npm start`: the gateway against the providers configured in the environment. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`batchql: configuration error: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  let running;
  try {
    running = await startGateway(config);
  } catch (error) {
    const code = (error as { code?: string }).code;
    console.error(
      `batchql: cannot start: ${code === 'EADDRINUSE' ? `port ${config.port} is in use (set PORT)` : (error as Error).message}`,
    );
    process.exit(1);
  }
  installSafetyNet(running.logger, running.metrics);
  const configured = Object.keys(running.providers);
  if (configured.length === 0)
    console.warn('batchql: no provider is configured; every batch query will fail (see README, Configuration)');
  const mode = config.live.redisUrl ? `redis (instance ${config.live.instanceId})` : 'in memory';
  console.log(`batchql: providers ${configured.join(', ') || '(none)'}; live ${mode}; GraphiQL at ${running.url}`);
  const stop = () => void running.close().finally(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
