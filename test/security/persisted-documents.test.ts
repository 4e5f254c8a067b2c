import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { wsClient } from '../helpers/live-clients.js';
import { PROVIDER_DEFINITIONS } from '../../src/providers/index.js';

/**
 * Persisted documents (docs/persisted-documents.md): the client preset's `documentId` and manifests
 * (`sha256:<hex>` keys), Apollo's `extensions.persistedQuery.sha256Hash` (bare hex), and the codes of
 * each refusal.
 */
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
// As graphql-codegen's client preset prints and keys it.
const PROVIDERS = 'query Providers { providers { provider configured } }';
const APOLLO = '{ providers { provider } }';

/** One operation over graphql-ws with a raw `subscribe` payload: its results and errors. */
async function overSocket(url: string, payload: Record<string, unknown>) {
  const client = wsClient(url);
  const results: { data?: any; errors?: any[] }[] = [];
  const errors: any[] = [];
  try {
    await new Promise<void>((resolve) => {
      client.subscribe(payload as never, {
        next: (r) => void results.push(r as never),
        error: (e) => (errors.push(...(Array.isArray(e) ? e : [e])), resolve()),
        complete: () => resolve(),
      });
    });
  } finally {
    await client.dispose();
  }
  return { results, errors };
}

async function post(url: string, body: unknown) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { data?: any; errors?: any[] } };
}

describe('persisted-only (PERSISTED_OPERATIONS_FILE)', () => {
  let h: Harness;
  beforeAll(async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'batchql-pd-')), 'persisted-documents.json');
    // A client preset manifest, with one Apollo-style bare-hex key beside.
    writeFileSync(file, JSON.stringify({ [`sha256:${sha256(PROVIDERS)}`]: PROVIDERS, [sha256(APOLLO)]: APOLLO }));
    h = await startHarness({ batchCount: 5, env: { PERSISTED_OPERATIONS_FILE: file } });
  });
  afterAll(() => h.close());

  it("runs the client preset's documentId, with either spelling of the id", async () => {
    for (const documentId of [`sha256:${sha256(PROVIDERS)}`, sha256(PROVIDERS), `SHA256:${sha256(PROVIDERS)}`]) {
      const { status, body } = await post(h.url, { documentId, operationName: 'Providers' });
      expect(body.errors).toBeUndefined();
      expect(status).toBe(200);
      expect(body.data.providers).toHaveLength(PROVIDER_DEFINITIONS.length);
    }
  });

  it("runs Apollo's extensions.persistedQuery.sha256Hash", async () => {
    const { body } = await post(h.url, { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(APOLLO) } } });
    expect(body.data.providers).toHaveLength(PROVIDER_DEFINITIONS.length);
  });

  it('answers an unknown id with PERSISTED_DOCUMENT_NOT_FOUND', async () => {
    for (const body of [
      { documentId: `sha256:${'f'.repeat(64)}` },
      { extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } } },
    ]) {
      const res = await post(h.url, body);
      expect(res.status).toBe(400);
      expect(res.body.data).toBeUndefined();
      expect(res.body.errors?.[0]?.extensions).toEqual({ code: 'PERSISTED_DOCUMENT_NOT_FOUND' });
      expect(res.body.errors?.[0]?.message).toContain('f'.repeat(64));
    }
  });

  it('answers an ordinary query (or no document at all) with PERSISTED_DOCUMENT_REQUIRED', async () => {
    for (const body of [{ query: APOLLO }, { query: '{ providers { provider } }', operationName: null }, {}]) {
      const res = await post(h.url, body);
      expect(res.status).toBe(400);
      expect(res.body.errors?.[0]?.extensions).toEqual({ code: 'PERSISTED_DOCUMENT_REQUIRED' });
      expect(res.body.errors?.[0]?.message).toMatch(/only persisted documents/);
    }
    const graphiql = await post(h.url, { query: '{ __typename }' });
    expect(graphiql.body.errors?.[0]?.message).toMatch(/GraphiQL/);
  });

  it('runs a known id sent with a query body as the stored document, and refuses an unknown one', async () => {
    const known = await post(h.url, { documentId: `sha256:${sha256(PROVIDERS)}`, query: '{ __typename }' });
    expect(known.body.data.providers).toHaveLength(PROVIDER_DEFINITIONS.length);
    const unknown = await post(h.url, { documentId: 'f'.repeat(64), query: '{ __typename }' });
    expect(unknown.body.errors?.[0]?.extensions).toEqual({ code: 'PERSISTED_DOCUMENT_NOT_FOUND' });
  });

  it('holds on the WebSocket too: an id runs, a query or an unknown id is refused', async () => {
    const byId = await overSocket(h.url, { query: '', documentId: `sha256:${sha256(PROVIDERS)}` });
    expect(byId.errors).toEqual([]);
    expect(byId.results[0]?.data.providers).toHaveLength(PROVIDER_DEFINITIONS.length);
    const query = await overSocket(h.url, { query: APOLLO });
    expect(query.errors[0]?.extensions?.code).toBe('PERSISTED_DOCUMENT_REQUIRED');
    const unknown = await overSocket(h.url, { query: '', documentId: 'f'.repeat(64) });
    expect(unknown.errors[0]?.extensions?.code).toBe('PERSISTED_DOCUMENT_NOT_FOUND');
  });
});

describe('without PERSISTED_OPERATIONS_FILE', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ batchCount: 5 });
  });
  afterAll(() => h.close());

  it('runs ordinary queries, and an unknown id with its query (Apollo automatic persisted queries)', async () => {
    expect((await post(h.url, { query: APOLLO })).body.data.providers).toHaveLength(PROVIDER_DEFINITIONS.length);
    const apq = await post(h.url, {
      query: APOLLO,
      extensions: { persistedQuery: { version: 1, sha256Hash: sha256(APOLLO) } },
    });
    expect(apq.body.data.providers).toHaveLength(PROVIDER_DEFINITIONS.length);
    const withId = await post(h.url, { query: APOLLO, documentId: `sha256:${sha256(APOLLO)}` });
    expect(withId.body.data.providers).toHaveLength(PROVIDER_DEFINITIONS.length);
  });

  it('answers an unknown id alone with PERSISTED_DOCUMENT_NOT_FOUND, and no document with BAD_REQUEST', async () => {
    const unknown = await post(h.url, { documentId: `sha256:${'e'.repeat(64)}` });
    expect(unknown.body.errors?.[0]?.extensions).toEqual({ code: 'PERSISTED_DOCUMENT_NOT_FOUND' });
    const nothing = await post(h.url, {});
    expect(nothing.status).toBe(400);
    expect(nothing.body.errors?.[0]?.extensions).toEqual({ code: 'BAD_REQUEST' });
    const wrong = await post(h.url, { documentId: 42 });
    expect(wrong.body.errors?.[0]?.extensions).toEqual({ code: 'BAD_REQUEST' });
  });

  it('runs queries on the WebSocket as before', async () => {
    const query = await overSocket(h.url, { query: APOLLO });
    expect(query.results[0]?.data.providers).toHaveLength(PROVIDER_DEFINITIONS.length);
  });
});
