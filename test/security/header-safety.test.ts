import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { createUpstreamHttp } from '../../src/upstream/stack.js';
import { createReachAdapter } from '../../src/providers/reach/adapter.js';
import { createReachHttpClient } from '../../src/providers/reach/client.js';
import { createManualClock, startSimulators, type Simulators } from '../../src/dev/simulators/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { JWT_TEST_ENV, bearer } from '../helpers/auth.js';
import { clientOptions } from '../helpers/config.js';

/**
 * Nothing a client controls reaches an upstream header unchecked. undici refuses an invalid
 * header value itself, but keeps the pool slot for good: a few such calls wedge a provider for
 * every tenant. The HTTP layer refuses them first, below authentication, and authentication
 * refuses a tenant claim that could not be a header value.
 */
const BAD_VALUES = ['acme-租户', 'a\r\nb', 'nul\u0000', 'del\u007f', ' padded '];
let sims: Simulators;
const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([
    p,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`did not settle within ${ms} ms`)), ms)),
  ]);

beforeAll(async () => {
  sims = await startSimulators({
    clock: createManualClock(Date.parse('2026-11-01T12:00:00Z')),
    seed: 3,
    batchCount: 40,
  });
});
afterAll(() => sims?.close());

describe('the HTTP layer, below authentication', () => {
  it(
    'shows the wedge it prevents: undici alone never settles a good request ' + 'after three bad ones on a pool of 3',
    async () => {
      const pool = new Pool(new URL(sims.reach.url).origin, { connections: 3 });
      for (let i = 0; i < 3; i++)
        await pool
          .request({ method: 'GET', path: '/api/batches', headers: { 'reach-tenant-id': 'acme-租户' } })
          .catch(() => undefined);
      const good = pool.request({
        method: 'GET',
        path: '/api/batches',
        headers: { authorization: `Bearer ${sims.credentials.reach.token}` },
      });
      good.catch(() => undefined);
      await expect(within(good, 1_500)).rejects.toThrow(/did not settle/);
      await pool.destroy().catch(() => undefined);
    },
  );

  it('refuses 50 bad header values with a coded error and still serves the next good request', async () => {
    const http = createUpstreamHttp({
      ...clientOptions(),
      provider: 'REACH',
      baseUrl: sims.reach.url,
      headers: {
        authorization: `Bearer ${sims.credentials.reach.token}`,
        'reach-tenant-id': sims.credentials.reach.tenantId,
      },
      rateLimit: [],
      connections: 3,
    });
    try {
      for (let i = 0; i < 50; i++) {
        const bad = BAD_VALUES[i % BAD_VALUES.length]!;
        await expect(
          http.request('GET', '/api/batches', {}, undefined, { 'reach-tenant-id': bad }),
        ).rejects.toMatchObject({ code: 'UPSTREAM_REQUEST_REFUSED', provider: 'REACH' });
      }
      await expect(http.request('GET', '/api/batches', {}, undefined, { 'bad name': 'x' })).rejects.toMatchObject({
        code: 'UPSTREAM_REQUEST_REFUSED',
      });
      const good = await within(http.request('GET', '/api/batches', { limit: '2' }), 3_000);
      expect(good).toBeTypeOf('object');
      expect(good).not.toBeNull();
      // Refused locally: none reached the provider, and the breaker did not count them.
      expect(sims.reach.control.requests().filter((r) => r.path.startsWith('/api/batches'))).toHaveLength(1);
      expect(http.circuit?.()).toBe('CLOSED');
    } finally {
      await http.close();
    }
  });

  it('refuses transport-owned headers and a path undici would refuse, and never retries a refusal', async () => {
    sims.reach.control.resetCounters();
    // Retries with a minute of backoff: a refusal that were retried could not settle in time.
    const shared = clientOptions();
    const http = createUpstreamHttp({
      ...shared,
      provider: 'REACH',
      baseUrl: sims.reach.url,
      headers: {
        authorization: `Bearer ${sims.credentials.reach.token}`,
        'reach-tenant-id': sims.credentials.reach.tenantId,
      },
      rateLimit: [],
      connections: 3,
      policy: { ...shared.policy, retries: 3, retryBaseMs: 60_000, retryMaxMs: 60_000, breakerThreshold: 2 },
    });
    try {
      for (let i = 0; i < 10; i++) {
        for (const name of [
          'transfer-encoding',
          'Connection',
          'upgrade',
          'expect',
          'host',
          'content-length',
          'keep-alive',
        ]) {
          await expect(
            within(http.request('GET', '/api/batches', {}, undefined, { [name]: 'x' }), 2_000),
          ).rejects.toMatchObject({ code: 'UPSTREAM_REQUEST_REFUSED' });
        }
        for (const path of [
          '/api/batches/a b',
          '/api/batches/\r\n',
          '/api/batches/租户',
          'api/batches',
          '/api/batches#x',
        ]) {
          await expect(within(http.request('GET', path), 2_000)).rejects.toMatchObject({
            code: 'UPSTREAM_REQUEST_REFUSED',
            provider: 'REACH',
          });
        }
      }
      // 120 refusals against a breaker that opens after 2 provider faults: it never counted one.
      expect(http.circuit?.()).toBe('CLOSED');
      expect(
        await within(
          http.request('GET', '/api/batches', { limit: '2', cursor: 'a b&c=租户\r\n' }).catch((e: unknown) => e),
          3_000,
        ),
      ).toBeDefined();
      expect(await within(http.request('GET', '/api/batches', { limit: '2' }), 3_000)).toBeTypeOf('object');
      expect(sims.reach.control.requests().filter((r) => r.path.startsWith('/api/batches'))).toHaveLength(2);
    } finally {
      await http.close();
    }
  });

  it('refuses a bad tenant through the Reach client and adapter, and the pool stays usable', async () => {
    const client = createReachHttpClient({
      ...clientOptions(),
      baseUrl: sims.reach.url,
      token: sims.credentials.reach.token,
      rateLimit: [],
      connections: 3,
    });
    const adapter = createReachAdapter(client);
    try {
      for (let i = 0; i < 50; i++) {
        const tenant = i % 2 === 0 ? 'acme-租户' : 'a\r\nb';
        await expect(adapter.get('some-batch', { tenant })).rejects.toMatchObject({
          code: 'UPSTREAM_REQUEST_REFUSED',
          provider: 'REACH',
        });
      }
      const ids = sims.reach.control.idsByState().running!;
      const found = await within(
        Promise.any(ids.slice(0, 5).map((id) => adapter.get(id, { tenant: sims.credentials.reach.tenantId }))),
        3_000,
      );
      expect(found.provider).toBe('REACH');
    } finally {
      await adapter.close();
    }
  });
});

describe('authentication', () => {
  let h: Harness;
  const bearerFor = (tenant: string) => bearer({ tenant, subject: 'someone' });

  beforeAll(async () => {
    h = await startHarness({ batchCount: 60, env: { ...JWT_TEST_ENV, UPSTREAM_CONNECTIONS: '3' } });
  });
  afterAll(() => h?.close());

  it('refuses 50 tokens whose tenant claim is not a header token, then serves another tenant normally', async () => {
    const reachId = h.sims.reach.control.idsByState().done![0]!;
    const query = `{ node(id: "${toGlobalId('REACH', reachId)}") { id } }`;
    for (let i = 0; i < 50; i++) {
      const res = await h.gql(query, undefined, { authorization: await bearerFor(i % 2 ? 'acme-租户' : 'x\u0000y') });
      expect(res.status).toBe(401);
      expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(res.errors?.[0]?.message).toBe(
        `Unauthenticated: the "reach_tenant" claim must be 1-200 characters of A-Z a-z 0-9 !#$%&'*+-.^_\`|~`,
      );
    }
    expect(h.sims.reach.control.totalRequests()).toBe(0);
    const listed = await within(
      h.gql('{ reachBatches(first: 1) { edges { node { id } } } }', undefined, {
        authorization: await bearerFor('tenant-b'),
      }),
      3_000,
    );
    expect(listed.errors).toBeUndefined();
    expect(listed.data.reachBatches.edges).toHaveLength(1);
  });

  it('accepts every RFC 9110 token character and refuses 201 characters', async () => {
    const ok = await h.gql('{ __typename }', undefined, { authorization: await bearerFor("a-Z_0.9!#$%&'*+^`|~") });
    expect(ok.status).toBe(200);
    const long = await h.gql('{ __typename }', undefined, { authorization: await bearerFor('t'.repeat(201)) });
    expect(long.status).toBe(401);
  });
});
