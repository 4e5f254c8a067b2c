import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { UpstreamBody } from './types.js';

/** A request body ready for undici: its bytes (or a stream of them) and its content type. */
export interface EncodedBody {
  body: string | Readable;
  contentType: string;
}

/** Quotes a multipart parameter value (RFC 7578: `"` and line breaks escaped as browsers do). */
const quoted = (value: string) => `"${value.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}"`;

/**
 * Encodes a body for the wire. A file goes as one `multipart/form-data` part, streamed: the
 * preamble, the Blob's own stream chunk by chunk, the closing boundary. Nothing is buffered
 * beside the Blob the GraphQL multipart request already holds (docs/writes.md, "Body limits").
 */
export function encodeBody(body: UpstreamBody): EncodedBody {
  if (body.kind === 'json') return { body: JSON.stringify(body.value), contentType: 'application/json' };
  const boundary = `batchql-${randomBytes(12).toString('hex')}`;
  const head =
    `--${boundary}\r\n` +
    `Content-Disposition: form-data; name=${quoted(body.field)}; filename=${quoted(body.fileName)}\r\n` +
    `Content-Type: ${body.contentType || 'application/octet-stream'}\r\n\r\n`;
  const file = body.file;
  async function* parts(): AsyncGenerator<Uint8Array> {
    yield Buffer.from(head, 'utf8');
    const reader = (file.stream() as ReadableStream<Uint8Array>).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      yield value;
    }
    yield Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
  }
  return { body: Readable.from(parts()), contentType: `multipart/form-data; boundary=${boundary}` };
}
