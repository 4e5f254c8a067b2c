import { request } from 'node:http';

/** A multipart/form-data body built by hand, so a test controls its exact bytes and length. */
export function multipartBody(
  parts: { name: string; fileName?: string; type?: string; data: string | Buffer }[],
  boundary = 'batchql-test-boundary',
): { body: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.fileName !== undefined ? `; filename="${p.fileName}"` : ''}`;
    const type = p.type ? `\r\nContent-Type: ${p.type}` : '';
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}${type}\r\n\r\n`));
    chunks.push(typeof p.data === 'string' ? Buffer.from(p.data) : p.data);
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** The GraphQL multipart request of `uploadFactCheckFile` with one CSV file (its `operations`, `map` and file). */
export function uploadBody(csv: string | Buffer, fileName = 'claims.csv') {
  const operations = JSON.stringify({
    query: `mutation($file: File!) {
      uploadFactCheckFile(file: $file) { fileId itemCount userErrors { code message } }
    }`,
    variables: { file: null },
  });
  return multipartBody([
    { name: 'operations', data: operations },
    { name: 'map', data: JSON.stringify({ 0: ['variables.file'] }) },
    { name: '0', fileName, type: 'text/csv', data: csv },
  ]);
}

/** How a raw POST ended: the answer (as much of it as came), or the connection closed without one. */
export type RawOutcome =
  | { kind: 'answer'; status: number; headers: Record<string, string | string[] | undefined>; body: any }
  | { kind: 'closed'; code: string | undefined }
  | { kind: 'timeout' };

/**
 * POSTs over `node:http` (not fetch: an answer before the body is sent in full is a normal outcome here).
 * `body` is sent with its length as Content-Length unless `contentLength` (a declared length, possibly
 * more than is sent) or `chunked` says otherwise. With `hold`, or a `contentLength` over the body's, the
 * request is never ended: it stays open until the gateway answers or closes the connection.
 */
export function rawPost(
  url: string,
  o: {
    headers?: Record<string, string>;
    body?: Buffer;
    contentLength?: number;
    chunked?: boolean;
    hold?: boolean;
    /** No end within this long is the outcome `timeout` (the connection is dropped). @default none */
    timeoutMs?: number;
  },
): Promise<RawOutcome> {
  const body = o.body ?? Buffer.alloc(0);
  const target = new URL(url);
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: RawOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
      req.destroy();
    };
    const timer = o.timeoutMs === undefined ? undefined : setTimeout(() => settle({ kind: 'timeout' }), o.timeoutMs);
    const headers: Record<string, string> = { ...o.headers };
    if (!o.chunked) headers['content-length'] = String(o.contentLength ?? body.length);
    const req = request(
      { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        const done = () => {
          const text = Buffer.concat(chunks).toString();
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // Not JSON: the text as it came.
          }
          settle({ kind: 'answer', status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        };
        res.on('end', done);
        res.on('error', done);
        res.on('aborted', done);
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => settle({ kind: 'closed', code: e.code }));
    if (o.hold || (o.contentLength !== undefined && o.contentLength > body.length)) {
      // Not the whole body: the request is held open, waiting for the gateway.
      req.write(body);
      req.flushHeaders();
      return;
    }
    req.end(body);
  });
}

/** The `extensions.code` of the first error of an answer. */
export const codeOf = (outcome: RawOutcome): unknown =>
  outcome.kind === 'answer' ? outcome.body?.errors?.[0]?.extensions?.code : undefined;

/** File parts in one anonymous flood body. */
export const FLOOD_PARTS = 60_000;

/**
 * One anonymous flood request's body: the `operations` and `map` of an upload, then 60,000 tiny file parts,
 * about 6 MB (what kept a gateway busy for over a second of CPU per request before issue 23).
 */
export function floodBody(): { body: Buffer; contentType: string } {
  const operations = JSON.stringify({
    query: 'mutation($file: File!) { uploadFactCheckFile(file: $file) { fileId } }',
    variables: { file: null },
  });
  const parts = Array.from({ length: FLOOD_PARTS }, (_, i) => ({
    name: String(i),
    fileName: 'claims.csv',
    type: 'text/csv',
    data: 'content\n',
  }));
  return multipartBody([
    { name: 'operations', data: operations },
    { name: 'map', data: '{"0":["variables.file"]}' },
    ...parts,
  ]);
}
