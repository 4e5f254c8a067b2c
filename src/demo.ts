/**
 * `npm run demo`: starts the three provider simulators on loopback (real HTTP servers with a
 * real clock, so running batches progress) and the gateway in front of them, then prints the
 * GraphiQL URL and example queries with real ids.
 */
import { createServer } from 'node:http';
import { loadConfig } from './config.js';
import { toGlobalId } from './domain/global-id.js';
import { simulatorEnv } from './gateway-env.js';
import { closeProviders, createProviders } from './providers/index.js';
import { createGateway } from './server.js';
import { createSystemClock, startSimulators } from './simulators/index.js';

const sims = await startSimulators({ clock: createSystemClock(), seed: 1, batchCount: 300 });
const env = { ...simulatorEnv({ reach: sims.reach.url, gameball: sims.gameball.url, factCheck: sims.factCheck.url }, sims.credentials), PORT: process.env.PORT ?? '4000' };
const config = loadConfig(env);
const providers = createProviders(config);
const gateway = createGateway({ providers, limits: config.upstream, lists: config.lists });
const server = createServer(gateway);

server.listen(config.port, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const reachId = sims.reach.control.idsByState()['running']?.[0] ?? '';
  const checkId = sims.factCheck.control.idsByState()['running']?.[0] ?? '';
  const gameballId = sims.gameball.control.idsByState()['partial']?.[0] ?? '';
  console.log(`batchql demo: simulators at ${sims.reach.url} (Reach), ${sims.gameball.url} (Gameball), ${sims.factCheck.url} (Check)`);
  console.log(`\nGraphiQL: http://localhost:${port}/graphql\n`);
  console.log('Try these in GraphiQL:\n');
  console.log(`query OneBatch {
  batch(provider: FACT_CHECK, providerBatchId: "${checkId}") {
    id status providerStatus isTerminal
    progress { total processed succeeded failed pending percent }
    ... on FactCheckBatch { name methods { method weight } totalCostCents }
  }
}
`);
  console.log(`query ThreeProviders {
  nodes(ids: ["${toGlobalId('REACH', reachId)}", "${toGlobalId('GAMEBALL', gameballId)}", "${toGlobalId('FACT_CHECK', checkId)}"]) {
    __typename
    ... on Batch { provider providerBatchId status progress { percent } }
    ... on ReachBatch { batchType schemaName pendingRecords }
    ... on GameballBatch { itemErrors { customerId message code } }
  }
}
`);
  console.log(`query NewestBatches {
  batches(first: 10) {
    totalCount excludedProviders { provider reason }
    pageInfo { hasNextPage endCursor }
    edges { node { __typename provider status createdAt progress { percent } } }
  }
}
`);
  console.log('Press Ctrl+C to stop.');
});

const stop = () => {
  server.close();
  server.closeAllConnections();
  void Promise.all([closeProviders(providers), sims.close()]).finally(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
