/**
 * What `bench:chaos` needs beside fetch: POSTs over `node:http` that may be answered (or cut) before their
 * body is sent, the anonymous multipart flood's body, and a gateway process's CPU and memory from /proc.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';

/** How a raw POST ended: an answer (its status and first error code), the connection closed, or no end in time. */
export type RawOutcome =
  | { kind: 'answer'; status: number; code: string | undefined }
  | { kind: 'closed'; code: string | undefined }
  | { kind: 'timeout' };

/**
 * POSTs `body` with its Content-Length over a connection of its own (not fetch: an answer before the body
 * is sent in full, or a connection closed under it, is a normal outcome here).
 */
export function rawPost(
  url: string,
  headers: Record<string, string>,
  body: Buffer,
  timeoutMs = 30_000,
): Promise<RawOutcome> {
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
    const timer = setTimeout(() => settle({ kind: 'timeout' }), timeoutMs);
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: { ...headers, 'content-length': String(body.length) },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          // The refusal is small; nothing past 64 KiB is kept.
          if (size < 64 * 1024) chunks.push(c);
          size += c.length;
        });
        const done = () => {
          let code: string | undefined;
          try {
            const parsed = JSON.parse(Buffer.concat(chunks).toString()) as {
              errors?: { extensions?: { code?: string } }[];
            };
            code = parsed.errors?.[0]?.extensions?.code;
          } catch {
            // not JSON: no code
          }
          settle({ kind: 'answer', status: res.statusCode ?? 0, code });
        };
        res.on('end', done);
        res.on('error', done);
        res.on('aborted', done);
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => settle({ kind: 'closed', code: e.code }));
    req.end(body);
  });
}

/** File parts in one flood body. */
export const FLOOD_PARTS = 60_000;

/**
 * One anonymous flood request's body: the `operations` and `map` of an upload, then 60,000 tiny file parts,
 * about 6 MB (what kept a gateway busy for over a second of CPU per request before issue 23).
 */
export function floodBody(): { body: Buffer; contentType: string } {
  const boundary = 'flood';
  const operations = JSON.stringify({
    query: 'mutation($file: File!) { uploadFactCheckFile(file: $file) { fileId } }',
    variables: { file: null },
  });
  const field = (name: string, data: string) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${data}\r\n`;
  const chunks = [field('operations', operations), field('map', '{"0":["variables.file"]}')];
  for (let i = 0; i < FLOOD_PARTS; i++)
    chunks.push(
      `--${boundary}\r\nContent-Disposition: form-data; name="${i}"; filename="c.csv"\r\n` +
        'Content-Type: text/csv\r\n\r\ncontent\n\r\n',
    );
  chunks.push(`--${boundary}--\r\n`);
  return { body: Buffer.from(chunks.join('')), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Whether an anonymous request was refused as it must be: 401 UNAUTHENTICATED, or its connection closed. */
export const refusedAnonymous = (o: RawOutcome): boolean =>
  (o.kind === 'answer' && o.status === 401 && o.code === 'UNAUTHENTICATED') || o.kind === 'closed';

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system) process `pid` has used, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The fields after the command name (in parentheses, which may hold spaces): utime and stime are the 14th
  // and 15th of the line, the 12th and 13th after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Resident memory of process `pid` in bytes, from /proc/<pid>/status. */
export function rssBytes(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}
