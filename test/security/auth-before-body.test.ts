import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bearer, JWT_TEST_ENV } from '../helpers/auth.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { codeOf, rawPost, uploadBody, type RawOutcome } from '../helpers/raw-post.js';

/**
 * Issue 23: nothing large before authentication. With AUTH_MODE=jwt a body over MAX_BODY_BYTES (100 KB by
 * default) is read only from a caller whose token is valid (else 401) and grants the write scope (else 403).
 * The refusals come while the client is still holding most of its body: a gateway that waited for the body
 * would never answer them.
 */
const MB = 1024 * 1024;
const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/graphql-response+json' };
const QUERY = Buffer.from(JSON.stringify({ query: '{ providers { provider } }' }));
const CSV_ROW = 'A claim that fills the file up.\n';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ batchCount: 10, env: JWT_TEST_ENV });
});
afterAll(() => h?.close());
beforeEach(() => h.resetCounters());

/** An upload of about `bytes` bytes whose headers and first 64 KiB are sent; the rest is held back. */
async function heldUpload(headers: Record<string, string>, bytes = 5 * MB): Promise<RawOutcome> {
  const { body, contentType } = uploadBody('content\n' + CSV_ROW.repeat(Math.ceil(bytes / CSV_ROW.length)));
  return rawPost(h.url, {
    headers: { 'content-type': contentType, 'x-batchql-csrf': '1', ...headers },
    body: body.subarray(0, 64 * 1024),
    contentLength: body.length,
  });
}

describe('a body over MAX_BODY_BYTES with AUTH_MODE=jwt', () => {
  it('is refused 401 UNAUTHENTICATED without a token, before the body is sent, and closes the connection', async () => {
    const r = await heldUpload({});
    expect(r).toMatchObject({ kind: 'answer', status: 401 });
    expect(codeOf(r)).toBe('UNAUTHENTICATED');
    if (r.kind !== 'answer') return;
    expect(r.headers.connection).toBe('close');
    expect(r.headers['www-authenticate']).toBe('Bearer');
    expect(r.body.errors[0].message).toContain('Missing bearer token');
    expect(h.sims.factCheck.control.totalRequests()).toBe(0);
  });

  it('is refused 401 with an invalid or expired token', async () => {
    const invalid = await heldUpload({ authorization: 'Bearer not.a.jwt' });
    const expired = await heldUpload({ authorization: await bearer({ scope: 'batches:write', expires: 1_000 }) });
    for (const r of [invalid, expired]) {
      expect(r).toMatchObject({ kind: 'answer', status: 401 });
      expect(codeOf(r)).toBe('UNAUTHENTICATED');
    }
    expect(h.sims.factCheck.control.totalRequests()).toBe(0);
  });

  it('is refused 403 FORBIDDEN with a valid token that lacks the write scope, naming the scope', async () => {
    const r = await heldUpload({ authorization: await bearer({ scope: 'batches:read' }) });
    expect(r).toMatchObject({ kind: 'answer', status: 403 });
    expect(codeOf(r)).toBe('FORBIDDEN');
    if (r.kind !== 'answer') return;
    expect(r.headers.connection).toBe('close');
    expect(r.body.errors[0].message).toContain('"batches:write"');
    expect(h.sims.factCheck.control.totalRequests()).toBe(0);
  });

  it('is refused 401 when chunked without a token (its length is unknown), before the body is sent', async () => {
    const r = await rawPost(h.url, { headers: JSON_HEADERS, chunked: true, body: QUERY.subarray(0, 10), hold: true });
    expect(r).toMatchObject({ kind: 'answer', status: 401 });
    expect(codeOf(r)).toBe('UNAUTHENTICATED');
  });

  it('is cut when chunked past MAX_BODY_BYTES by a caller without the write scope', async () => {
    // A mutation (which may be larger than MAX_BODY_BYTES), 300 KB of it sent and the rest held back.
    const mutation = JSON.stringify({
      query: `mutation($x: String) { cancelBatch(id: $x) { userErrors { code } } }`,
      variables: { x: 'a'.repeat(1_000_000) },
    });
    const r = await rawPost(h.url, {
      headers: { ...JSON_HEADERS, authorization: await bearer({ scope: 'batches:read' }) },
      chunked: true,
      body: Buffer.from(mutation).subarray(0, 300_000),
      hold: true,
    });
    // The connection is closed, or (had the gateway answered first) a 4xx.
    if (r.kind === 'answer') expect(r.status).toBeGreaterThanOrEqual(400);
    else expect(r.kind).toBe('closed');
    expect(h.sims.reach.control.totalRequests()).toBe(0);
  });
});

describe('a caller with the write scope', () => {
  it('uploads a file over MAX_BODY_BYTES, which Check then holds and a batch can use', async () => {
    const rows = 40_000; // about 1.3 MB
    const { body, contentType } = uploadBody('content\n' + CSV_ROW.repeat(rows));
    expect(body.length).toBeGreaterThan(10 * 100_000);
    const r = await rawPost(h.url, {
      headers: {
        'content-type': contentType,
        'x-batchql-csrf': '1',
        authorization: await bearer({ scope: 'batches:write' }),
      },
      body,
    });
    expect(r).toMatchObject({ kind: 'answer', status: 200 });
    if (r.kind !== 'answer') return;
    expect(r.body.errors).toBeUndefined();
    const uploaded = r.body.data.uploadFactCheckFile;
    expect(uploaded).toMatchObject({ itemCount: rows, userErrors: [] });
    // The whole file reached the Check simulator (it counted every row), which now knows its fileId.
    expect(h.sims.factCheck.control.counters()['POST /v1/batch/upload']).toBe(1);
    const batch = await h.gql(
      `mutation($f: String!) {
        submitFactCheckBatch(input: { fileId: $f }) { batch { progress { total } } userErrors { code } }
      }`,
      { f: uploaded.fileId },
      { authorization: await bearer({ scope: 'batches:write' }) },
    );
    expect(batch.data.submitFactCheckBatch).toEqual({ batch: { progress: { total: rows } }, userErrors: [] });
  });

  it('still gets 413 PAYLOAD_TOO_LARGE for a large body that is not a mutation', async () => {
    const big = Buffer.from(
      JSON.stringify({ query: '{ providers { provider } }', variables: { x: 'a'.repeat(300_000) } }),
    );
    const r = await rawPost(h.url, {
      headers: { ...JSON_HEADERS, authorization: await bearer({ scope: 'batches:write' }) },
      body: big,
    });
    expect(r).toMatchObject({ kind: 'answer', status: 413 });
    expect(codeOf(r)).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('a body up to MAX_BODY_BYTES', () => {
  it('is read as before: a read-only token may query, no token gets the usual 401 from the GraphQL layer', async () => {
    const read = await rawPost(h.url, {
      headers: { ...JSON_HEADERS, authorization: await bearer({ scope: 'batches:read' }) },
      body: QUERY,
    });
    expect(read).toMatchObject({ kind: 'answer', status: 200 });
    const none = await rawPost(h.url, { headers: JSON_HEADERS, body: QUERY });
    expect(none).toMatchObject({ kind: 'answer', status: 401 });
    expect(codeOf(none)).toBe('UNAUTHENTICATED');
    // Yoga's own answer (the body was read and parsed), with its request id, as before.
    if (none.kind === 'answer') expect(none.headers['x-request-id']).toEqual(expect.any(String));
  });
});
