import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlibConstants, gzip } from 'node:zlib';

/**
 * Static bodies the gateway serves itself (GraphiQL, the dashboard): content negotiation, ETags,
 * and each body compressed once per encoding.
 */

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** The encodings a body is served in, best first. */
export type Encoding = 'br' | 'gzip' | 'identity';
const PREFERENCE: Encoding[] = ['br', 'gzip', 'identity'];

/** A strong entity tag of `bytes` (without quotes): a prefix of their SHA-256. */
export function contentTag(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64url').slice(0, 27);
}

/**
 * One body in every encoding, each compressed on first demand (off the event loop, in zlib's thread
 * pool) and kept; a failed compression is retried by the next request rather than kept. `brotliQuality`
 * trades the first request's wait against the bytes sent (0-11).
 */
export class EncodedBodies {
  private readonly encoded = new Map<Encoding, Promise<Uint8Array>>();

  constructor(
    readonly bytes: Uint8Array,
    private readonly brotliQuality: number,
  ) {}

  get(encoding: Encoding): Promise<Uint8Array> {
    let pending = this.encoded.get(encoding);
    if (!pending) {
      const bytes = this.bytes;
      pending =
        encoding === 'br'
          ? brotli(bytes, {
              params: {
                [zlibConstants.BROTLI_PARAM_QUALITY]: this.brotliQuality,
                [zlibConstants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
              },
            })
          : encoding === 'gzip'
            ? gzipAsync(bytes, { level: 9 })
            : Promise.resolve(bytes);
      pending.catch(() => this.encoded.delete(encoding));
      this.encoded.set(encoding, pending);
    }
    return pending;
  }
}

/**
 * The best encoding the client accepts (RFC 9110 §12.5.3): highest q first, then br, gzip,
 * identity. identity is acceptable unless refused (`identity;q=0`, or `*;q=0` without it); a
 * client refusing everything still gets identity, the only thing every client can read.
 */
export function negotiateEncoding(header: string | null): Encoding {
  if (!header) return 'identity';
  const q = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = qParam ? Number(qParam.slice(2)) : 1;
    q.set(name === 'x-gzip' ? 'gzip' : name, Number.isFinite(value) ? value : 0);
  }
  const star = q.get('*');
  const weight = (e: Encoding) => q.get(e) ?? (e === 'identity' ? (star ?? 0.001) : (star ?? 0));
  let best: Encoding = 'identity';
  let bestWeight = 0;
  for (const e of PREFERENCE) {
    const w = weight(e);
    if (w > bestWeight) {
      best = e;
      bestWeight = w;
    }
  }
  return best;
}

/** `If-None-Match`: a list of (possibly weak) tags, or `*`. */
export function matchesEtag(header: string | null, tag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const value = t.trim();
    return value === '*' || value === tag || value === `W/${tag}`;
  });
}
