import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { sseClient, subscribe, wsClient } from '../helpers/live-clients.js';
import { PROVIDER_DEFINITIONS } from '../../src/providers/index.js';

/** Client authentication and Reach tenancy: JWTs checked, the tenant only from the verified claim. */
const SECRET = 'test-secret-of-at-least-32-characters!!';
const JWT_ENV = { AUTH_MODE: 'jwt', JWT_SECRET: SECRET, JWT_ISSUER: 'https://idp.example', JWT_AUDIENCE: 'batchql' };
let h: Harness;
let aBatch: string;
let bBatch: string;

async function token(
  claims: Record<string, unknown> = { reach_tenant: 'tenant-a' },
  o: { secret?: string; audience?: string; issuer?: string; exp?: string | number } = {},
) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('user-1')
    .setIssuer(o.issuer ?? 'https://idp.example')
    .setAudience(o.audience ?? 'batchql')
    .setIssuedAt()
    .setExpirationTime(o.exp ?? '10m')
    .sign(new TextEncoder().encode(o.secret ?? SECRET));
}

beforeAll(async () => {
  h = await startHarness({ batchCount: 60, env: JWT_ENV });
  const tenantA = new Set(h.sims.reach.control.idsByState().done!);
  const all = await h.gql('{ __typename }', undefined, { authorization: `Bearer ${await token()}` });
  expect(all.errors).toBeUndefined();
  aBatch = [...tenantA][0]!;
  // tenant-b's batches are every fifth; find one through tenant-b's own list
  const res = await h.gql('{ reachBatches(first: 5) { edges { node { providerBatchId } } } }', undefined, {
    authorization: `Bearer ${await token({ reach_tenant: 'tenant-b' })}`,
  });
  bBatch = res.data.reachBatches.edges[0].node.providerBatchId;
});
afterAll(() => h.close());

const Q = '{ providers { provider } }';

describe('authentication', () => {
  it.each([
    ['no token', async () => ({})],
    ['a malformed header', async () => ({ authorization: 'Basic abc' })],
    [
      'an expired token',
      async () => ({ authorization: `Bearer ${await token(undefined, { exp: Math.floor(Date.now() / 1000) - 60 })}` }),
    ],
    [
      'a wrong signature',
      async () => ({
        authorization: `Bearer ${await token(undefined, { secret: 'another-secret-of-at-least-32-chars!!' })}`,
      }),
    ],
    [
      'a wrong audience',
      async () => ({ authorization: `Bearer ${await token(undefined, { audience: 'someone-else' })}` }),
    ],
    ['a wrong issuer', async () => ({ authorization: `Bearer ${await token(undefined, { issuer: 'https://evil' })}` })],
    ['no tenant claim', async () => ({ authorization: `Bearer ${await token({ role: 'x' })}` })],
  ])('refuses %s with 401 UNAUTHENTICATED and no upstream call', async (_, headers) => {
    h.resetCounters();
    // A query that would call two providers if it ran.
    const res = await h.gql(
      `{ node(id: "${toGlobalId('REACH', aBatch)}") { id } providers { provider } }`,
      undefined,
      await headers(),
    );
    expect(res.status).toBe(401);
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(res.data).toBeUndefined();
    expect(h.sims.reach.control.totalRequests() + h.sims.factCheck.control.totalRequests()).toBe(0);
  });

  it('accepts a valid token', async () => {
    h.resetCounters();
    const res = await h.gql(`{ node(id: "${toGlobalId('REACH', aBatch)}") { id } providers { provider } }`, undefined, {
      authorization: `Bearer ${await token()}`,
    });
    expect(res.status).toBe(200);
    expect(res.data.providers).toHaveLength(PROVIDER_DEFINITIONS.length);
    expect(res.data.node).not.toBeNull();
    // The same query does reach the provider once authenticated: the refusals above really saved a call.
    expect(h.sims.reach.control.totalRequests()).toBe(1);
  });
});

describe('tenancy', () => {
  it('sends the tenant from the verified claim and ignores a client-sent reach-tenant-id', async () => {
    h.resetCounters();
    // fresh: the batch may be the ledger's (a list page stored it); this is about the upstream call's header.
    const res = await h.gql(`{ node(id: "${toGlobalId('REACH', aBatch)}", fresh: true) { id } }`, undefined, {
      authorization: `Bearer ${await token()}`,
      'reach-tenant-id': 'tenant-b',
    });
    expect(res.errors).toBeUndefined();
    expect(h.sims.reach.control.requests().map((r) => r.headers['reach-tenant-id'])).toEqual(['tenant-a']);
  });

  it("answers NOT_FOUND for another tenant's batch, by id and in lists", async () => {
    const asB = { authorization: `Bearer ${await token({ reach_tenant: 'tenant-b' })}` };
    const byId = await h.gql(`{ node(id: "${toGlobalId('REACH', aBatch)}") { id } }`, undefined, asB);
    expect(byId.data.node).toBeNull();
    expect(byId.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const list = await h.gql('{ reachBatches(first: 100) { edges { node { providerBatchId } } } }', undefined, asB);
    const ids: string[] = list.data.reachBatches.edges.map((e: any) => e.node.providerBatchId);
    expect(ids).toContain(bBatch);
    expect(ids).not.toContain(aBatch);
    const merged = await h.gql(
      '{ batches(first: 100, filter: { providers: [REACH] }) { edges { node { providerBatchId } } } }',
      undefined,
      { authorization: `Bearer ${await token()}` },
    );
    expect(merged.data.batches.edges.map((e: any) => e.node.providerBatchId)).not.toContain(bBatch);
  });

  it('refuses a cursor made for another tenant', async () => {
    const a = await h.gql('{ reachBatches(first: 2) { pageInfo { endCursor } } }', undefined, {
      authorization: `Bearer ${await token()}`,
    });
    const res = await h.gql(
      `{ reachBatches(first: 2, after: "${a.data.reachBatches.pageInfo.endCursor}") { edges { cursor } } }`,
      undefined,
      { authorization: `Bearer ${await token({ reach_tenant: 'tenant-b' })}` },
    );
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('subscriptions', () => {
  const WATCH = 'subscription($id: ID!) { batch(id: $id) { providerBatchId isTerminal } }';
  it(
    'authenticates SSE by header and WebSocket by connection params, ' + 'never sharing a poll across tenants',
    async () => {
      const sse = subscribe(sseClient(h.url, { authorization: `Bearer ${await token()}` }), WATCH, {
        id: toGlobalId('REACH', aBatch),
      });
      await sse.ended;
      expect(sse.events[0]?.batch.providerBatchId).toBe(aBatch);

      const ws = subscribe(wsClient(h.url, { authorization: `Bearer ${await token()}` }), WATCH, {
        id: toGlobalId('REACH', aBatch),
      });
      await ws.ended;
      expect(ws.events[0]?.batch.providerBatchId).toBe(aBatch);

      const other = subscribe(
        wsClient(h.url, { authorization: `Bearer ${await token({ reach_tenant: 'tenant-b' })}` }),
        WATCH,
        { id: toGlobalId('REACH', aBatch) },
      );
      await other.ended;
      expect(other.events).toEqual([]);
      expect(JSON.stringify(other.errors)).toContain('NOT_FOUND');

      const anonymous = subscribe(wsClient(h.url), WATCH, { id: toGlobalId('REACH', aBatch) });
      await anonymous.ended;
      expect(anonymous.events).toEqual([]);
      // Refused at connection_init: the socket is closed with 4403 before any subscribe runs.
      expect(anonymous.errors).toEqual([expect.objectContaining({ code: 4403 })]);
    },
  );
});

describe('JWKS', () => {
  let jwks: Server;
  let jh: Harness;
  let privateKey: CryptoKey;
  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey as CryptoKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    jwks = createServer((_, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })),
    );
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    jh = await startHarness({
      batchCount: 20,
      env: {
        AUTH_MODE: 'jwt',
        JWT_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`,
        JWT_ISSUER: 'https://idp.example',
        JWT_AUDIENCE: 'batchql',
        JWT_TENANT_CLAIM: 'org',
      },
    });
  });
  afterAll(async () => {
    await jh.close();
    jwks.close();
  });

  it('verifies tokens against a JWKS and reads the configured tenant claim', async () => {
    const good = await new SignJWT({ org: 'tenant-a' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer('https://idp.example')
      .setAudience('batchql')
      .setExpirationTime('5m')
      .sign(privateKey);
    expect((await jh.gql(Q, undefined, { authorization: `Bearer ${good}` })).status).toBe(200);
    const hs = await token({ org: 'tenant-a' });
    expect((await jh.gql(Q, undefined, { authorization: `Bearer ${hs}` })).status).toBe(401);
  });
});
