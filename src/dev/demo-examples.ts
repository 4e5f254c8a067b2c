/**
 * The demo's data and the example operations it prints and opens GraphiQL with (`npm run demo`,
 * `src/dev/demo.ts`). The examples of the README and docs/ use the same ids; `test/gateway/readme-examples.test.ts`
 * runs them all, and GraphiQL's tabs as they open, against these simulators.
 */
import { toGlobalId } from '../domain/global-id.js';
import type { GraphiQLTab } from '../http/graphiql.js';
import { FACT_CHECK_SHOWCASE_ID, type Simulator, type StartSimulatorsOptions } from './simulators/index.js';

/**
 * The demo's simulators: the seeded data set (seed 1, 300 batches per provider, every state), Check on
 * its Pro plan and Gameball on its documented windows, one Check batch for the docs' live examples: queued
 * for 5 s, then running for 4 minutes (`FACT_CHECK_SHOWCASE_ID`), and rolling batches on every provider, so
 * the demo never runs dry: a new one a minute each, queued 1 to 2.5 minutes, then running 3 to 8 minutes
 * (about two queued and five running on each provider at any time, for ever).
 */
export const DEMO_SIMULATORS = {
  seed: 1,
  batchCount: 300,
  factCheckPlan: 'pro',
  gameballRateLimits: 'documented',
  factCheckShowcase: { startInMs: 5_000, durationMs: 240_000 },
  rolling: {
    periodMs: 60_000,
    queuedMs: { min: 60_000, max: 150_000 },
    runningMs: { min: 180_000, max: 480_000 },
  },
} as const satisfies Omit<StartSimulatorsOptions, 'clock'>;

/**
 * Batches of the demo's data, by the state they are in when it starts (the data is seeded, and placed
 * in time relative to the start). Running ones finish within minutes; the pending records of
 * `reachPending` expire about five minutes after the start.
 */
export const DEMO_IDS = {
  /**
   * Check: the docs' batch to watch, 1,000 items over four minutes from 5 s after the start (the demo's own
   * live examples follow a batch running when it prints them, `liveBatch`).
   */
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

/**
 * One example of the demo: one named operation, printed at start and opened as one of GraphiQL's tabs.
 */
interface DemoExample {
  operationName: string;
  /** The operation, after the comment lines that say what it does. */
  document: string;
  /** Its variables: GraphiQL's Variables pane of its tab, a `# variables:` line where it is printed. */
  variables?: Record<string, unknown>;
}

/** The Check batch the demo's live examples follow (`liveBatch`), and when it finishes as planned. */
interface LiveBatch {
  id: string;
  endsAt: number;
}

/** A live batch that ends sooner than this from the print is passed over: too little time to open it. */
const LIVE_MIN_LEFT_MS = 180_000;

/**
 * The batch the demo's live examples follow, chosen from those running on the Check simulator at the clock's
 * now: the one that finishes first but no sooner than three minutes from now, else the one that finishes last;
 * the showcase batch (`DEMO_IDS.factCheckLive`) when none runs, as before it starts.
 */
export function liveBatch(check: Simulator): LiveBatch {
  const { control } = check;
  const now = control.clock.now();
  // A batch's last item is processed at its planned end (a running batch is not cancelled).
  const running = (control.idsByState().running ?? [])
    .map((id) => ({ id, endsAt: control.changedAt(id, Number.MAX_SAFE_INTEGER) ?? now }))
    .sort((a, b) => a.endsAt - b.endsAt || (a.id < b.id ? -1 : 1));
  const chosen = running.find((b) => b.endsAt - now >= LIVE_MIN_LEFT_MS) ?? running.at(-1);
  return chosen ?? { id: DEMO_IDS.factCheckLive, endsAt: now };
}

/** Submits a Check batch (run it twice: the same idempotencyKey answers the same batch). */
function submitClaims(): DemoExample {
  return {
    operationName: 'SubmitClaims',
    document: `# Submit a fact-check batch. Retrying with the same idempotencyKey answers the same batch
# instead of submitting twice.
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
}`,
  };
}

/**
 * The examples `npm run demo` prints, in order, and GraphiQL's tabs (`graphiqlTabs`): the live ones follow Check
 * batch `live` (a provider batch id; the showcase batch unless given).
 */
export function demoExamples(live: string = DEMO_IDS.factCheckLive): DemoExample[] {
  const liveId = toGlobalId('FACT_CHECK', live);
  const ids = [
    toGlobalId('REACH', DEMO_IDS.reachRunning),
    toGlobalId('GAMEBALL', DEMO_IDS.gameballPartial),
    toGlobalId('FACT_CHECK', DEMO_IDS.factCheckPartial),
  ];
  return [
    submitClaims(),
    {
      operationName: 'WatchLive',
      document: `# Watch a batch live, to its end: $id is a Check batch running now; put the id SubmitClaims
# answered there to watch yours.
subscription WatchLive($id: ID!) {
  batch(id: $id) {
    status isTerminal observedAt stale
    progress { processed total percent ratePerSecond estimatedCompletionAt }
  }
}`,
      variables: { id: liveId },
    },
    {
      operationName: 'OneBatch',
      document: `# The same batch by its provider's own id, with what only Check has.
query OneBatch {
  batch(provider: FACT_CHECK, providerBatchId: "${live}") {
    id status providerStatus isTerminal
    progress { total processed succeeded failed pending percent }
    ... on FactCheckBatch { name methods { method weight } totalCostCents }
  }
}`,
    },
    {
      operationName: 'ThreeProviders',
      document: `# One batch of each provider by global id, each with its own fields.
query ThreeProviders($ids: [ID!]!) {
  nodes(ids: $ids) {
    __typename
    ... on Batch { provider providerBatchId status progress { percent } }
    ... on ReachBatch { batchType schemaName pendingRecords }
    ... on GameballBatch { itemErrors { customerId message code } }
  }
}`,
      variables: { ids },
    },
    {
      operationName: 'NewestBatches',
      document: `# The newest batches of every provider that can list, merged (Gameball cannot list).
query NewestBatches {
  batches(first: 10) {
    totalCount excludedProviders { provider reason }
    pageInfo { hasNextPage endCursor }
    edges { node { __typename provider status createdAt progress { percent } } }
  }
}`,
    },
  ];
}

/** An example as the demo prints it: its `# variables:` line (if any) right before the operation. */
export function printExample(e: DemoExample): string {
  if (!e.variables) return e.document;
  const lines = e.document.split('\n');
  const at = lines.findIndex((line) => !line.startsWith('#'));
  lines.splice(at, 0, `# variables: ${JSON.stringify(e.variables)}`);
  return lines.join('\n');
}

/**
 * GraphiQL's tabs in the demo (yoga's `defaultTabs`, used while the browser has no tabs of its own stored):
 * one an example, each opening with its variables in the Variables pane.
 */
export function graphiqlTabs(live: string = DEMO_IDS.factCheckLive): GraphiQLTab[] {
  return demoExamples(live).map((e) => ({
    query: e.document,
    variables: e.variables ? JSON.stringify(e.variables, null, 2) : null,
  }));
}

/** The shell line that follows Check batch `live` (the showcase batch unless given) over SSE to its end. */
export function demoCurl(graphqlUrl: string, live: string = DEMO_IDS.factCheckLive): string {
  const id = toGlobalId('FACT_CHECK', live);
  return (
    `curl -N -H 'accept: text/event-stream' '${graphqlUrl}?query=` +
    `subscription%7Bbatch(id:%22${id}%22)%7Bstatus%20progress%7Bpercent%7D%7D%7D'`
  );
}
