import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ProviderName } from '../../src/domain/batch.js';
import { toGlobalId } from '../../src/domain/global-id.js';
import { SIMULATOR_DEFINITIONS, type FaultRule } from '../../src/dev/simulators/index.js';
import { simulatorEnv } from '../../src/dev/gateway-env.js';
import { PROVIDER_DEFINITIONS } from '../../src/providers/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { sseClient, subscribe } from '../helpers/live-clients.js';

/**
 * Every fault kind on every provider (each on its simulator, src/dev/simulators/registry.ts), through `node`,
 * `nodes`, `batches` and a subscription: the right code and provider, the healthy providers' data kept, the
 * deadline respected, and nothing of the upstream's error bodies (which carry a planted secret) in any response
 * or log.
 */
const DEADLINE_MS = 400;
const SECRET = /SIM-SECRET-do-not-leak|10\.0\.3\.7|sk_live_|internal\/jobs/;
let h: Harness;
/** A running batch of each provider. */
const ids = new Map<ProviderName, string>();

beforeAll(async () => {
  h = await startHarness({
    seed: 41,
    batchCount: 60,
    env: {
      UPSTREAM_DEADLINE_MS: String(DEADLINE_MS),
      // The per-phase timeouts may not exceed the deadline (a configuration rule); the deadline still decides.
      UPSTREAM_CONNECT_TIMEOUT_MS: String(DEADLINE_MS),
      UPSTREAM_HEADERS_TIMEOUT_MS: String(DEADLINE_MS),
      UPSTREAM_RETRIES: '1',
      UPSTREAM_BREAKER_THRESHOLD: '1000',
      UPSTREAM_RETRY_AFTER_CAP_MS: '1000',
    },
  });
  for (const d of SIMULATOR_DEFINITIONS) ids.set(d.provider, h.sims[d.key].control.idsByState().running![0]!);
});
afterAll(async () => {
  // Whatever happened above, no log line carried an upstream body, URL or credential.
  const logs = h.logs.join('\n');
  expect(logs).not.toMatch(SECRET);
  const env = simulatorEnv(h.sims);
  for (const variable of PROVIDER_DEFINITIONS.flatMap((d) => d.secrets))
    if (env[variable]) expect(logs, variable).not.toContain(env[variable]);
  await h.close();
});
beforeEach(() => {
  h.resetCounters();
  // Fresh upstream reads: a cached page would (rightly) hide the fault.
  h.clearListCache();
});

const PROVIDERS: ProviderName[] = SIMULATOR_DEFINITIONS.map((d) => d.provider);
const simOf = (p: ProviderName) => h.sims[SIMULATOR_DEFINITIONS.find((d) => d.provider === p)!.key];
const idOf = (p: ProviderName) => ids.get(p)!;
const canList = (p: ProviderName) => PROVIDER_DEFINITIONS.find((d) => d.name === p)!.capabilities.canList;

const FAULTS: [string, FaultRule, string][] = [
  ['500', { kind: 'http5xx', status: 500 }, 'PROVIDER_UNAVAILABLE'],
  ['502', { kind: 'http5xx', status: 502 }, 'PROVIDER_UNAVAILABLE'],
  ['503', { kind: 'http5xx', status: 503 }, 'PROVIDER_UNAVAILABLE'],
  ['504', { kind: 'http5xx', status: 504 }, 'PROVIDER_TIMEOUT'],
  ['429 with a long Retry-After', { kind: 'rateLimit', retryAfterSeconds: 30 }, 'PROVIDER_RATE_LIMITED'],
  ['429 without Retry-After', { kind: 'rateLimit' }, 'PROVIDER_RATE_LIMITED'],
  ['hang', { kind: 'hang' }, 'PROVIDER_TIMEOUT'],
  ['connection reset', { kind: 'reset' }, 'PROVIDER_UNAVAILABLE'],
  ['malformed JSON', { kind: 'malformedJson' }, 'PROVIDER_BAD_RESPONSE'],
];

const NODE = 'query($id: ID!) { node(id: $id) { id ... on Batch { status provider } } }';

describe.each(PROVIDERS)('%s failing', (provider) => {
  it.each(FAULTS)(
    '%s: node, nodes and batches answer the code, name the provider and keep the rest',
    async (_, fault, code) => {
      simOf(provider).control.setFault(fault);
      const started = Date.now();
      const one = await h.gql(NODE, { id: toGlobalId(provider, idOf(provider)) });
      const elapsed = Date.now() - started;
      expect(one.status).toBe(200);
      expect(one.data.node).toBeNull();
      expect(one.errors?.[0]?.extensions).toMatchObject({ code, provider });
      // One deadline covers every attempt (plus scheduling slack).
      expect(elapsed).toBeLessThan(DEADLINE_MS + 600);
      if (fault.kind === 'rateLimit' && fault.retryAfterSeconds)
        expect(one.errors?.[0]?.extensions?.retryAfterMs).toBe(30_000);

      const many = await h.gql('query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Batch { provider } } }', {
        ids: PROVIDERS.map((p) => toGlobalId(p, idOf(p))),
      });
      PROVIDERS.forEach((p, i) => {
        if (p === provider) expect(many.data.nodes[i]).toBeNull();
        else expect(many.data.nodes[i]).toMatchObject({ provider: p });
      });
      expect(many.errors).toHaveLength(1);
      expect(many.errors?.[0]).toMatchObject({
        path: ['nodes', PROVIDERS.indexOf(provider)],
        extensions: { code, provider },
      });

      const list = await h.gql('{ batches(first: 10) { totalCount edges { node { provider } } } }');
      const listed = new Set<ProviderName>(list.data.batches.edges.map((e: any) => e.node.provider));
      if (!canList(provider)) {
        // Its rows come from the ledger, which the fault does not reach.
        expect(list.errors).toBeUndefined();
      } else {
        expect(list.errors).toEqual([
          expect.objectContaining({ path: ['batches'], extensions: expect.objectContaining({ code, provider }) }),
        ]);
        expect(listed.has(provider)).toBe(false);
        expect(listed.size).toBeGreaterThan(0);
        // The others stay: the listing ones from their lists, Gameball's rows from the ledger (the reads above).
        expect(list.data.batches.edges).toHaveLength(10);
        expect(list.data.batches.totalCount).toBeNull();
      }
      for (const res of [one, many, list]) expect(JSON.stringify(res)).not.toMatch(SECRET);
    },
  );

  it('maps an unknown status word to UNKNOWN, keeping the raw word, without an error', async () => {
    simOf(provider).control.setFault({ kind: 'unknownStatus', status: 'quarantined' });
    const res = await h.gql('query($id: ID!) { node(id: $id) { ... on Batch { status providerStatus } } }', {
      id: toGlobalId(provider, idOf(provider)),
    });
    expect(res.errors).toBeUndefined();
    expect(res.data.node).toEqual({ status: 'UNKNOWN', providerStatus: 'quarantined' });
  });

  it.each(FAULTS)('%s during a subscription: the stream goes stale, stays open and resumes', async (_, fault) => {
    const sub = subscribe(
      sseClient(h.url),
      'subscription($id: ID!) { batch(id: $id) { stale progress { processed } } }',
      { id: toGlobalId(provider, idOf(provider)) },
    );
    await sub.waitForEvents(1);
    simOf(provider).control.setFault(fault);
    await sub.waitForEvents(2, 5_000);
    expect(sub.events.at(-1).batch.stale).toBe(true);
    expect(sub.isEnded()).toBe(false);
    simOf(provider).control.clearFaults();
    h.clock.advance(3_000);
    await sub.waitForEvents(3, 5_000);
    expect(sub.events.at(-1).batch.stale).toBe(false);
    expect(sub.errors).toEqual([]);
    sub.close();
    expect(JSON.stringify(sub.events)).not.toMatch(SECRET);
  });
});

describe('circuit breaker through the gateway', () => {
  it('opens for the failing provider only, fails fast, and closes after a healthy probe', async () => {
    const b = await startHarness({
      seed: 43,
      batchCount: 20,
      env: { UPSTREAM_RETRIES: '0', UPSTREAM_BREAKER_THRESHOLD: '3', UPSTREAM_BREAKER_HALF_OPEN_MS: '200' },
    });
    try {
      const id = toGlobalId('FACT_CHECK', b.sims.factCheck.control.idsByState().done![0]!);
      b.sims.factCheck.control.setFault({ kind: 'http5xx', status: 500 });
      for (let i = 0; i < 3; i++) await b.gql(NODE, { id });
      const circuits = async () =>
        Object.fromEntries(
          (await b.gql('{ providers { provider circuit } }')).data.providers.map((p: any) => [p.provider, p.circuit]),
        );
      expect(await circuits()).toEqual({
        ...Object.fromEntries(SIMULATOR_DEFINITIONS.map((d) => [d.provider, 'CLOSED'])),
        FACT_CHECK: 'OPEN',
      });
      const before = b.sims.factCheck.control.totalRequests();
      const fast = await b.gql(NODE, { id });
      expect(fast.errors?.[0]?.extensions).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', provider: 'FACT_CHECK' });
      expect(b.sims.factCheck.control.totalRequests()).toBe(before);
      b.sims.factCheck.control.clearFaults();
      await new Promise((r) => setTimeout(r, 250));
      const healed = await b.gql(NODE, { id });
      expect(healed.errors).toBeUndefined();
      expect((await circuits()).FACT_CHECK).toBe('CLOSED');
    } finally {
      await b.close();
    }
  });
});
