/**
 * The demo's data and the example operations it prints (`npm run demo`, `src/dev/demo.ts`). The examples of
 * the README and docs/ use the same ids; `test/gateway/readme-examples.test.ts` runs both against these simulators.
 */
import { toGlobalId } from '../domain/global-id.js';
import { FACT_CHECK_SHOWCASE_ID, type StartSimulatorsOptions } from './simulators/index.js';

/**
 * The demo's simulators: the seeded data set (seed 1, 300 batches per provider, every state), Check on
 * its Pro plan and Gameball on its documented windows, plus one Check batch to watch live: queued for
 * 5 s, then running for 4 minutes (`FACT_CHECK_SHOWCASE_ID`).
 */
export const DEMO_SIMULATORS = {
  seed: 1,
  batchCount: 300,
  factCheckPlan: 'pro',
  gameballRateLimits: 'documented',
  factCheckShowcase: { startInMs: 5_000, durationMs: 240_000 },
} as const satisfies Omit<StartSimulatorsOptions, 'clock'>;

/**
 * Batches of the demo's data, by the state they are in when it starts (the data is seeded, and placed
 * in time relative to the start). Running ones finish within minutes; the pending records of
 * `reachPending` expire about five minutes after the start.
 */
export const DEMO_IDS = {
  /** Check: the batch to watch, 1,000 items over four minutes from 5 s after the start. */
  factCheckLive: FACT_CHECK_SHOWCASE_ID,
  /** Check: finished with failed items (`PARTIALLY_SUCCEEDED`). */
  factCheckPartial: 'batch_839d2ca53eb7',
  /** Check: refused its input (`FAILED`, with `validationErrors`). */
  factCheckInvalid: 'batch_1398891eb9de',
  /** Reach: running, about eight minutes left. */
  reachRunning: 'rb_92409d3fb64afebe',
  /** Reach: finished with record errors (`PARTIALLY_SUCCEEDED`). */
  reachPartial: 'rb_dc12b0cf5eda7963',
  /** Reach: finished, with records waiting for their dependencies. */
  reachPending: 'rb_2c5d3c2a0546b177',
  /** Gameball: finished with item errors (`PARTIALLY_SUCCEEDED`). */
  gameballPartial: '91959774',
} as const;

/** One example the demo prints: a GraphQL document (one operation). */
export interface DemoExample {
  operationName: string;
  document: string;
}

/**
 * What the demo's GraphiQL opens with: submit a Check batch, then watch it live with the id the
 * mutation answers (the variables hold the live batch's id until you paste yours).
 */
export function submitAndWatch(): DemoExample {
  return {
    operationName: 'SubmitClaims',
    document: `# 1. Submit a fact-check batch (run SubmitClaims). Retrying with the same idempotencyKey
#    answers the same batch instead of submitting twice.
mutation SubmitClaims {
  submitFactCheckBatch(
    idempotencyKey: "demo-claims-1"
    input: {
      name: "Claims from the newsroom"
      items: [{ content: "The Eiffel Tower is 330 m tall." }, { content: "Water boils at 90 °C at sea level." }]
      methods: [{ method: REASONING, weight: 1 }, { method: TOOL, weight: 0.5 }]
    }
  ) {
    batch { id status progress { total processed } }
    userErrors { code message field }
  }
}

# 2. Watch it: put the id SubmitClaims answered into the variables, then run WatchSubmitted.
# variables: {"id": "${toGlobalId('FACT_CHECK', DEMO_IDS.factCheckLive)}"}
subscription WatchSubmitted($id: ID!) {
  batch(id: $id) {
    status isTerminal observedAt
    progress { processed total percent }
  }
}
`,
  };
}

/** The examples `npm run demo` prints, in order. */
export function demoExamples(): DemoExample[] {
  const ids = [
    toGlobalId('REACH', DEMO_IDS.reachRunning),
    toGlobalId('GAMEBALL', DEMO_IDS.gameballPartial),
    toGlobalId('FACT_CHECK', DEMO_IDS.factCheckPartial),
  ];
  return [
    submitAndWatch(),
    {
      operationName: 'OneBatch',
      document: `query OneBatch {
  batch(provider: FACT_CHECK, providerBatchId: "${DEMO_IDS.factCheckLive}") {
    id status providerStatus isTerminal
    progress { total processed succeeded failed pending percent }
    ... on FactCheckBatch { name methods { method weight } totalCostCents }
  }
}`,
    },
    {
      operationName: 'ThreeProviders',
      document: `query ThreeProviders {
  nodes(ids: [${ids.map((id) => `"${id}"`).join(', ')}]) {
    __typename
    ... on Batch { provider providerBatchId status progress { percent } }
    ... on ReachBatch { batchType schemaName pendingRecords }
    ... on GameballBatch { itemErrors { customerId message code } }
  }
}`,
    },
    {
      operationName: 'NewestBatches',
      document: `query NewestBatches {
  batches(first: 10) {
    totalCount excludedProviders { provider reason }
    pageInfo { hasNextPage endCursor }
    edges { node { __typename provider status createdAt progress { percent } } }
  }
}`,
    },
    {
      operationName: 'WatchOne',
      document: `subscription WatchOne {
  batch(id: "${toGlobalId('FACT_CHECK', DEMO_IDS.factCheckLive)}") {
    status observedAt stale
    progress { processed total percent ratePerSecond estimatedCompletionAt }
  }
}`,
    },
  ];
}

/** The shell line that follows the live batch over SSE to its end. */
export function demoCurl(graphqlUrl: string): string {
  const id = toGlobalId('FACT_CHECK', DEMO_IDS.factCheckLive);
  return (
    `curl -N -H 'accept: text/event-stream' '${graphqlUrl}?query=` +
    `subscription%7Bbatch(id:%22${id}%22)%7Bstatus%20progress%7Bpercent%7D%7D%7D'`
  );
}
