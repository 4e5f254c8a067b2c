import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { codeOf, rawPost, uploadBody } from '../helpers/raw-post.js';

/**
 * Upload sizes: the plan's file limit (`FACTCHECK_PLAN`) is checked before anything is sent, Check's own
 * 413 is the user error PAYLOAD_TOO_LARGE, and a body over MAX_MUTATION_BODY_BYTES gets 413 at the door.
 */
const MB = 1024 * 1024;
const UPLOAD = `mutation($file: File!) {
  uploadFactCheckFile(file: $file) { fileId userErrors { code message field } }
}`;

/** Posts a GraphQL multipart request with one CSV file of about `bytes` bytes. */
async function upload(h: Harness, bytes: number) {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: UPLOAD, variables: { file: null } }));
  form.append('map', JSON.stringify({ 0: ['variables.file'] }));
  const row = 'A claim that fills the file up.\n';
  form.append('0', new Blob(['content\n', row.repeat(Math.ceil(bytes / row.length))], { type: 'text/csv' }), 'big.csv');
  const res = await fetch(h.url, { method: 'POST', body: form, headers: { 'x-batchql-csrf': '1' } });
  return { status: res.status, body: (await res.json()) as any };
}

describe('a gateway on Pro in front of a Check on Enterprise', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      batchCount: 5,
      env: { FACTCHECK_PLAN: 'pro', MAX_MUTATION_BODY_BYTES: String(12 * MB) },
      sims: { factCheckPlan: 'enterprise' },
    });
  });
  afterAll(() => h?.close());

  it('refuses a file over the plan’s 10 MB before any upstream call, naming the limit', async () => {
    h.resetCounters();
    const r = await upload(h, 10.5 * MB);
    expect(r.body.data.uploadFactCheckFile.userErrors).toEqual([
      { code: 'BAD_USER_INPUT', message: expect.stringContaining('at most 10485760'), field: ['file'] },
    ]);
    expect(h.sims.factCheck.control.totalRequests()).toBe(0);
  });

  it('answers 413 PAYLOAD_TOO_LARGE for a body over MAX_MUTATION_BODY_BYTES', async () => {
    // Sent with node:http: an early answer and a closed connection are both outcomes a client may see.
    const { body, contentType } = uploadBody(
      'content\n' + 'A claim that fills the file up.\n'.repeat((12.5 * MB) / 32),
    );
    const r = await rawPost(h.url, { body, headers: { 'content-type': contentType, 'x-batchql-csrf': '1' } });
    // A body at most 1 MiB over the limit is discarded first: this client, sending it whole, sees the status.
    expect(r).toMatchObject({ kind: 'answer', status: 413 });
    expect(codeOf(r)).toBe('PAYLOAD_TOO_LARGE');
    expect(h.sims.factCheck.control.counters()['POST /v1/batch/upload'] ?? 0).toBe(0);
  });

  it('closes the connection of a body far over the limit, or answers 413, without reading it', async () => {
    const body = Buffer.alloc(64 * 1024, 'x');
    const r = await rawPost(h.url, {
      body,
      contentLength: 40 * MB,
      headers: { 'content-type': 'multipart/form-data; boundary=x', 'x-batchql-csrf': '1' },
    });
    if (r.kind === 'answer') expect(r.status).toBe(413);
    else expect(r.kind).toBe('closed');
  });
});

describe('a gateway on Enterprise in front of a Check on Pro', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      batchCount: 5,
      env: { FACTCHECK_PLAN: 'enterprise', MAX_MUTATION_BODY_BYTES: String(12 * MB) },
      sims: { factCheckPlan: 'pro' },
    });
  });
  afterAll(() => h?.close());

  it('streams the whole file to Check, whose 413 becomes the user error PAYLOAD_TOO_LARGE', async () => {
    const r = await upload(h, 10.5 * MB);
    expect(r.body.data.uploadFactCheckFile).toEqual({
      fileId: null,
      // The provider's own message, as Check wrote it.
      userErrors: [{ code: 'PAYLOAD_TOO_LARGE', message: 'File exceeds the 10 MB limit of this plan', field: null }],
    });
    expect(h.sims.factCheck.control.counters()['POST /v1/batch/upload']).toBe(1);
  });
});
