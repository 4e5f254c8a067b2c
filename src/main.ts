import { createServer } from 'node:http';
import { ConfigError, loadConfig } from './config.js';
import { closeProviders, createProviders } from './providers/index.js';
import { createGateway } from './server.js';

/** Starts the gateway against the providers configured in the environment. */
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
  const providers = createProviders(config);
  const configured = Object.keys(providers);
  if (configured.length === 0) console.warn('batchql: no provider is configured; every batch query will fail (see README, Configuration)');
  const gateway = createGateway({ providers, limits: config.upstream, lists: config.lists });
  const server = createServer(gateway);
  server.listen(config.port, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    console.log(`batchql: providers ${configured.join(', ') || '(none)'}; GraphiQL at http://localhost:${port}/graphql`);
  });
  const stop = () => {
    server.close();
    server.closeAllConnections();
    void closeProviders(providers).finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
