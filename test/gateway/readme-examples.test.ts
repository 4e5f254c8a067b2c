import { PROVIDER_NAMES } from '../../src/providers/index.js';
/**
 * The examples of the README and of docs/*.md, and what `npm run demo` prints and opens GraphiQL with, run as
 * written against the demo's data: every operation of every ```graphql block of those files (with its
 * `# variables:` JSON), every example the demo prints, every tab of the demo's GraphiQL with the variables it
 * opens with, and every global id the files mention elsewhere (the EventSource, graphql-ws and curl lines),
 * through a gateway over the demo's simulators (`DEMO_SIMULATORS`: same seed, count, quotas, live batch and
 * rolling batches). An example may show an error only when it says which (`# expect errors: CODE, …`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Kind, parse, type OperationDefinitionNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_IDS,
  DEMO_SIMULATORS,
  demoCurl,
  demoExamples,
  graphiqlTabs,
  liveBatch,
  printExample,
} from '../../src/dev/demo-examples.js';
import { fromGlobalId } from '../../src/domain/global-id.js';
import { startHarness, type GqlResponse, type Harness } from '../helpers/harness.js';

const ROOT = new URL('../../', import.meta.url);
/** README.md, then every docs/*.md: the files whose examples must run. */
const DOCS = [
  'README.md',
  ...readdirSync(new URL('docs/', ROOT))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
].map((path) => ({ path, text: readFileSync(fileURLToPath(new URL(path, ROOT)), 'utf8') }));
const README = DOCS[0]!.text;
/** The first line of a ```graphql block that is not an operation (the schema sketch). */
const NOT_AN_OPERATION = '# Not an operation';

interface Example {
  where: string;
  document: string;
  operationName: string;
  type: OperationDefinitionNode['operation'];
  variables?: Record<string, unknown>;
  expectErrors: string[];
}

/** Every operation of a document, with the `# variables:` and `# expect errors:` comments just before it. */
function operationsOf(document: string, where: string): Example[] {
  const definitions = parse(document).definitions;
  return definitions.flatMap((definition, i): Example[] => {
    if (definition.kind !== Kind.OPERATION_DEFINITION) return [];
    const before = document.slice(i === 0 ? 0 : definitions[i - 1]!.loc!.end, definition.loc!.start);
    const variables = /^# variables: (.*)$/m.exec(before)?.[1];
    const errors = /^# expect errors: (.*)$/m.exec(before)?.[1];
    expect(definition.name, `${where}: every example operation has a name`).toBeDefined();
    return [
      {
        where,
        document,
        operationName: definition.name!.value,
        type: definition.operation,
        ...(variables ? { variables: JSON.parse(variables) as Record<string, unknown> } : {}),
        expectErrors: errors ? errors.split(',').map((c) => c.trim()) : [],
      },
    ];
  });
}

const blocks = DOCS.flatMap(({ path, text }) =>
  [...text.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m, i) => ({
    where: `${path} graphql block ${i + 1}`,
    body: m[1]!,
  })),
);
const docExamples = blocks.flatMap(({ where, body }) =>
  body.startsWith(NOT_AN_OPERATION) ? [] : operationsOf(body, where),
);
const printedExamples = demoExamples().flatMap((e) => operationsOf(printExample(e), `demo's ${e.operationName}`));

let h: Harness;
beforeAll(async () => {
  const { seed, batchCount, ...sims } = DEMO_SIMULATORS;
  // A real-time clock, as in the demo (and so Check's Pro-plan minute window behaves as it does there).
  h = await startHarness({ seed, batchCount, sims, realTime: true });
});
afterAll(() => h?.close());

/** The first result of a subscription over SSE, then the stream is dropped. */
async function firstEvent(e: Example): Promise<GqlResponse> {
  const abort = new AbortController();
  const res = await fetch(h.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query: e.document, operationName: e.operationName, variables: e.variables }),
    signal: abort.signal,
  });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  try {
    for (;;) {
      const event = /event: next\ndata: (.*)\n\n/.exec(text);
      if (event) return { status: res.status, ...(JSON.parse(event[1]!) as Omit<GqlResponse, 'status'>) };
      const { value, done } = await reader.read();
      if (done) throw new Error(`${e.operationName}: the stream ended without a result: ${text}`);
      text += value;
    }
  } finally {
    abort.abort();
  }
}

/** A query's result, posted with its operation name (a block holds several operations). */
async function queryResult(e: Example): Promise<GqlResponse> {
  const res = await fetch(h.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({ query: e.document, operationName: e.operationName, variables: e.variables }),
  });
  return { status: res.status, ...((await res.json()) as Omit<GqlResponse, 'status'>) };
}

async function run(e: Example): Promise<void> {
  const result = e.type === 'subscription' ? await firstEvent(e) : await queryResult(e);
  const codes = (result.errors ?? []).map((error) => error.extensions?.code);
  expect(codes, `${e.where}, ${e.operationName}: ${JSON.stringify(result.errors)}`).toEqual(e.expectErrors);
  expect(result.data, `${e.where}, ${e.operationName}`).toBeTruthy();
  if (e.expectErrors.length === 0)
    for (const [field, value] of Object.entries(result.data!))
      expect(value, `${e.where}, ${e.operationName}: ${field} is null`).not.toBeNull();
}

it("starts from the demo's data: each named id is in the state the docs and the demo say", () => {
  const reach = h.sims.reach.control.idsByState();
  const gameball = h.sims.gameball.control.idsByState();
  const check = h.sims.factCheck.control.idsByState();
  expect(check.queued).toContain(DEMO_IDS.factCheckLive);
  expect(check.partial).toContain(DEMO_IDS.factCheckPartial);
  expect(check.failed).toContain(DEMO_IDS.factCheckInvalid);
  expect(reach.running).toContain(DEMO_IDS.reachRunning);
  expect(reach.partial).toContain(DEMO_IDS.reachPartial);
  expect(reach.pending).toContain(DEMO_IDS.reachPending);
  expect(gameball.partial).toContain(DEMO_IDS.gameballPartial);
});

describe('README.md and docs/*.md', () => {
  it('have their examples in ```graphql blocks, every one but the schema sketch an operation', () => {
    expect(blocks.filter((b) => b.body.startsWith(NOT_AN_OPERATION))).toHaveLength(1);
    expect(docExamples.length).toBeGreaterThanOrEqual(9);
    expect(docExamples.some((e) => e.type === 'subscription')).toBe(true);
    expect(docExamples.some((e) => e.expectErrors.length > 0)).toBe(true);
    // The examples that moved from the README into docs/ are still here, each checked below.
    const names = new Set(docExamples.map((e) => e.operationName));
    for (const name of [
      ...['OneBatch', 'InvalidInput', 'SeveralBatches', 'Missing', 'PendingResources', 'RunningAndQueued'],
      ...['LastItems', 'Watch', 'WatchMany', 'SubmitClaims', 'SubmitOrders', 'SubmitContacts', 'PatchContacts'],
      ...['PreviewDelete', 'CancelFinished'],
    ])
      expect(names, name).toContain(name);
    // The README's tour has examples of its own, a query, a subscription and a mutation among them.
    const tour = docExamples.filter((e) => e.where.startsWith('README.md '));
    expect(new Set(tour.map((e) => e.type))).toEqual(new Set(['query', 'subscription', 'mutation']));
  });

  it.each(docExamples.map((e) => [`${e.operationName} (${e.where})`, e] as const))('%s runs', async (_, e) => {
    await run(e);
  });

  it('name only batches that exist, in their other examples too (EventSource, graphql-ws, curl)', async () => {
    const ids = new Set<string>();
    for (const [candidate] of DOCS.flatMap((d) => [...d.text.matchAll(/[A-Za-z0-9_-]{16,}/g)])) {
      try {
        fromGlobalId(candidate, PROVIDER_NAMES);
        ids.add(candidate);
      } catch {
        /* not a global id */
      }
    }
    expect(ids.size).toBeGreaterThanOrEqual(4);
    for (const id of ids) {
      const r = await h.gql(`query($id: ID!) { node(id: $id) { id } }`, { id });
      expect(r.errors, id).toBeUndefined();
      expect(r.data.node, id).not.toBeNull();
    }
  });
});

describe('what npm run demo prints', () => {
  it.each(printedExamples.map((e) => [e.operationName, e] as const))('%s runs', async (_, e) => {
    await run(e);
  });

  it('prints each example with its variables, one operation each', () => {
    for (const e of demoExamples()) {
      const [operation] = operationsOf(printExample(e), e.operationName);
      expect(operation!.operationName).toBe(e.operationName);
      expect(operation!.variables).toEqual(e.variables);
    }
  });

  it("follows the live batch from its curl line, whose id the README's curl line has too", async () => {
    const line = demoCurl(h.url);
    const id = /id:%22([A-Za-z0-9_-]+)%22/.exec(line)![1]!;
    expect(fromGlobalId(id, PROVIDER_NAMES).providerBatchId).toBe(DEMO_IDS.factCheckLive);
    expect(README).toContain(`id:%22${id}%22`);
  });
});

describe("the demo's GraphiQL", () => {
  it('follows a batch running now, chosen when the demo prints its examples', () => {
    const live = liveBatch(h.sims.factCheck);
    expect(h.sims.factCheck.control.idsByState().running).toContain(live.id);
    expect(live.endsAt).toBeGreaterThan(h.clock.now());
  });

  it('opens one tab per printed example, the variables of each in its Variables pane', () => {
    const tabs = graphiqlTabs();
    expect(tabs.map((t) => t.query)).toEqual(demoExamples().map((e) => e.document));
    expect(tabs.filter((t) => t.variables).length).toBeGreaterThanOrEqual(2);
  });

  it.each(
    graphiqlTabs().map((tab, i) => {
      const [operation] = operationsOf(tab.query!, `tab ${i + 1}`);
      return [`tab ${i + 1}, ${operation!.operationName}`, tab, operation!] as const;
    }),
  )('%s runs as it opens', async (_, tab, operation) => {
    // Exactly what GraphiQL sends: the tab's text, and its Variables pane parsed.
    await run({ ...operation, variables: tab.variables ? (JSON.parse(tab.variables) as Record<string, unknown>) : {} });
  });

  it('opens on the live batch it is given', async () => {
    const live = liveBatch(h.sims.factCheck);
    const watch = graphiqlTabs(live.id).find((t) => t.query!.includes('subscription'))!;
    const [operation] = operationsOf(watch.query!, 'live tab');
    const variables = JSON.parse(watch.variables!) as { id: string };
    expect(fromGlobalId(variables.id, PROVIDER_NAMES).providerBatchId).toBe(live.id);
    await run({ ...operation!, variables });
  });
});
