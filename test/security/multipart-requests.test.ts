import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { codeOf, multipartBody, rawPost, uploadBody } from '../helpers/raw-post.js';

/**
 * GraphQL multipart requests (issue 23): busboy's limits fit the one upload (one file, the fields
 * `operations` and `map`, three parts), a malformed `operations` or `map` is a 400 with a code (never a
 * 500), and with AUTH_MODE=none (the harness's) uploads work as before, large ones included.
 */
const MB = 1024 * 1024;
const UPLOAD = `mutation($file: File!) { uploadFactCheckFile(file: $file) { fileId itemCount userErrors { code } } }`;
const OPERATIONS = JSON.stringify({ query: UPLOAD, variables: { file: null } });
const CSV = 'content\nClaim one\nClaim two\n';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ batchCount: 5 });
});
afterAll(() => h?.close());
beforeEach(() => h.resetCounters());

async function send(parts: Parameters<typeof multipartBody>[0]) {
  const { body, contentType } = multipartBody(parts);
  return rawPost(h.url, { headers: { 'content-type': contentType, 'x-batchql-csrf': '1' }, body });
}
const file = { name: '0', fileName: 'claims.csv', type: 'text/csv', data: CSV };

describe('a malformed multipart request', () => {
  it.each([
    ['a map entry that is a number', OPERATIONS, '{"0": 5}'],
    ['a map entry whose path is a number', OPERATIONS, '{"0": [5]}'],
    ['a map entry that is one string', OPERATIONS, '{"0": "variables.file"}'],
    ['a map that is not JSON', OPERATIONS, '{0: ['],
    ['a map that is a list', OPERATIONS, '[["variables.file"]]'],
    ['a map naming a part that is not there', OPERATIONS, '{"7": ["variables.file"]}'],
    ['a map path through the prototype', OPERATIONS, '{"0": ["variables.file.__proto__.polluted"]}'],
    ['a map path through a string', JSON.stringify({ query: UPLOAD, variables: 'x' }), '{"0": ["variables.file"]}'],
    ['operations that are null', 'null', '{"0": ["variables.file"]}'],
    ['operations that are a number', '5', '{"0": ["variables.file"]}'],
    ['operations that are not JSON', '{"query": ', '{"0": ["variables.file"]}'],
  ])('is 400 BAD_REQUEST, not 500: %s', async (_, operations, map) => {
    const r = await send([{ name: 'operations', data: operations }, { name: 'map', data: map }, file]);
    expect(r).toMatchObject({ kind: 'answer', status: 400 });
    expect(codeOf(r)).toBe('BAD_REQUEST');
    if (r.kind === 'answer') expect(r.body.errors[0].message).toMatch(/^Malformed multipart request: /);
    expect(h.sims.factCheck.control.totalRequests()).toBe(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('is 400 BAD_REQUEST without an operations field', async () => {
    const r = await send([{ name: 'map', data: '{"0": ["variables.file"]}' }, file]);
    expect(r).toMatchObject({ kind: 'answer', status: 400 });
    expect(codeOf(r)).toBe('BAD_REQUEST');
  });
});

describe('the multipart limits', () => {
  it('refuses a second file with 413 PAYLOAD_TOO_LARGE, before any upstream call', async () => {
    const r = await send([
      { name: 'operations', data: OPERATIONS },
      { name: 'map', data: '{"0": ["variables.file"], "1": ["variables.other"]}' },
      file,
      { ...file, name: '1' },
    ]);
    expect(r).toMatchObject({ kind: 'answer', status: 413 });
    expect(codeOf(r)).toBe('PAYLOAD_TOO_LARGE');
    expect(h.sims.factCheck.control.totalRequests()).toBe(0);
  });

  it('stops at the fourth part of a body of thousands of tiny ones, with 413', async () => {
    const tiny = Array.from({ length: 2_000 }, (_, i) => ({ name: `f${i}`, data: 'x' }));
    const r = await send([{ name: 'operations', data: OPERATIONS }, ...tiny]);
    expect(r).toMatchObject({ kind: 'answer', status: 413 });
    expect(codeOf(r)).toBe('PAYLOAD_TOO_LARGE');
    if (r.kind === 'answer') expect(r.body.errors[0].message).toMatch(/limit exceeded/);
  });

  it('refuses a text field over MAX_BODY_BYTES with 413, even in a mutation', async () => {
    const operations = JSON.stringify({ query: UPLOAD, variables: { file: null, pad: 'x'.repeat(150_000) } });
    const r = await send([
      { name: 'operations', data: operations },
      { name: 'map', data: '{"0": ["variables.file"]}' },
      file,
    ]);
    expect(r).toMatchObject({ kind: 'answer', status: 413 });
    expect(codeOf(r)).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('uploads with AUTH_MODE=none', () => {
  it('take a file of several megabytes, as before, which Check then holds', async () => {
    const row = 'A claim that fills the file up.\n';
    const rows = Math.ceil((3 * MB) / row.length);
    const { body, contentType } = uploadBody('content\n' + row.repeat(rows));
    const r = await rawPost(h.url, { headers: { 'content-type': contentType, 'x-batchql-csrf': '1' }, body });
    expect(r).toMatchObject({ kind: 'answer', status: 200 });
    if (r.kind !== 'answer') return;
    expect(r.body.data.uploadFactCheckFile).toMatchObject({ fileId: expect.stringMatching(/^file_/), itemCount: rows });
    expect(h.sims.factCheck.control.counters()['POST /v1/batch/upload']).toBe(1);
  });

  it('take a small file as the dashboard sends it (operations, map, one file)', async () => {
    const r = await send([
      { name: 'operations', data: JSON.stringify({ query: UPLOAD, variables: { file: null } }) },
      { name: 'map', data: '{"0": ["variables.file"]}' },
      file,
    ]);
    expect(r).toMatchObject({ kind: 'answer', status: 200 });
    if (r.kind === 'answer') expect(r.body.data.uploadFactCheckFile).toMatchObject({ itemCount: 2, userErrors: [] });
  });
});

describe('the File scalar', () => {
  it('refuses a JSON object in a file variable before anything is sent', async () => {
    const res = await fetch(h.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation($file: File!) { uploadFactCheckFile(file: $file) { fileId userErrors { code } } }',
        variables: { file: {} },
      }),
    });
    const body = (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(h.sims.factCheck.control.counters()['POST /v1/batch/upload'] ?? 0).toBe(0);
  });
});
