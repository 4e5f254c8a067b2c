/**
 * The SSRF-safe outbound HTTP client for webhooks to URLs that tenants register. A tenant names the URL, so
 * the URL is hostile until checked: it must be `https`, carry no credentials, and resolve only to public
 * unicast addresses (no loopback, private, link-local, CGNAT, metadata, multicast or reserved ones).
 *
 * The check runs twice: when the endpoint is created (`checkEndpointUrl`, so a tenant hears at once) and on
 * every delivery (`send`), because a name that was public yesterday may point at 127.0.0.1 today (DNS
 * rebinding). `send` then connects to the very address it checked: undici is handed a connector that dials
 * that address, never the name, so no second lookup between the check and the connect can swap it. TLS still
 * verifies the certificate against the host name (the SNI `servername`), not the address.
 *
 * Hosts in `allowedHosts` (the demo's and the tests' loopback receivers) may use `http` and may resolve to
 * private addresses; they are still resolved once per send and pinned the same way.
 *
 * One delivery is one fresh undici `Client` (one connection), destroyed afterwards: no pool, no keep-alive, no
 * socket left behind. No redirect is followed, and at most `maxBodyBytes` of a response body is read.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import ipaddr from 'ipaddr.js';
import { buildConnector, Client } from 'undici';

/** Why a URL was refused before any connection was attempted. */
export type OutboundRefusedReason = 'BAD_URL' | 'NOT_HTTPS' | 'CREDENTIALS_IN_URL' | 'UNRESOLVABLE' | 'PRIVATE_ADDRESS';

/**
 * A URL this client will not connect to. The message is written for the tenant who registered the URL: it may
 * name the host and the kind of range (`loopback`, `private`), never a resolved address or another internal
 * detail.
 */
export class OutboundRefusedError extends Error {
  override readonly name = 'OutboundRefusedError';
  constructor(
    readonly reason: OutboundRefusedReason,
    message: string,
  ) {
    super(message);
  }
}

/** One resolved address, as `dns.promises.lookup(host, { all: true })` gives it. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** undici's connector shape (`buildConnector`'s result): dials `options.hostname`, then calls back once. */
export type Connector = buildConnector.connector;

export interface SafeConnectOptions {
  /**
   * Host names or IP literals (lower case, IPv6 without brackets), matched exactly against the URL's host: these
   * may use `http` and may resolve to private or loopback addresses. Empty in production but for the demo.
   */
  allowedHosts: readonly string[];
  /** Resolves a host name to every address. @default `dns.promises.lookup(host, { all: true, order: 'verbatim' })` */
  resolve?: (host: string) => Promise<ResolvedAddress[]>;
  /**
   * Dials a connection (undici's `buildConnector` shape). `send` hands it the checked address as `hostname` and
   * the URL's host name as `servername`. @default `buildConnector({ timeout: connectTimeoutMs, ...tls })`
   */
  connector?: Connector;
  /** How long the resolution, and then the TCP (and TLS) connect, may each take. @default 5000 */
  connectTimeoutMs?: number;
  /** How long the response (status, headers and the read part of the body) may take once connected. @default 10000 */
  responseTimeoutMs?: number;
  /** How much of a response body is read (and kept, as text); the rest is discarded unread. @default 4096 */
  maxBodyBytes?: number;
  /** Extra trust for the default connector: a test's self-signed certificate. */
  tls?: { ca?: string | Buffer };
}

/** One delivery attempt's outcome. Transport failures and refusals are results too: `send` throws only bugs. */
export interface SendResult {
  /** A 2xx status arrived and its (capped) body was read within the response timeout. */
  ok: boolean;
  /** The response's status, or null when none arrived. */
  status: number | null;
  /** The first `maxBodyBytes` of the body, as UTF-8 text ('' when none). */
  body: string;
  headers: Record<string, string | string[] | undefined>;
  /**
   * Why the attempt failed without a full response, short and safe to show: 'timeout', 'connection refused',
   * 'connection reset', 'unreachable', 'tls', 'connection failed', 'invalid request', or a refusal's message.
   */
  error?: string;
  /** Set when the URL was refused before any connection (the same check as `checkEndpointUrl`). */
  refused?: OutboundRefusedReason;
  /** From the call to the end of the attempt, resolution included. */
  durationMs: number;
}

export interface SendRequest {
  url: string;
  method?: 'POST';
  headers: Record<string, string>;
  body: string;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_RESPONSE_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_BODY_BYTES = 4_096;

/** Addresses that answer cloud instance-metadata requests, named as such in refusals (AWS, GCP, Azure, Alibaba). */
const METADATA_ADDRESSES = new Set(['169.254.169.254', 'fd00:ec2::254', '100.100.100.200']);

/** ipaddr.js range names, as a refusal message says them. Any range not here is 'special-purpose'. */
const RANGE_NAMES: Record<string, string> = {
  loopback: 'loopback',
  private: 'private',
  uniqueLocal: 'unique-local',
  linkLocal: 'link-local',
  carrierGradeNat: 'carrier-grade NAT',
  unspecified: 'unspecified',
  multicast: 'multicast',
  broadcast: 'broadcast',
  reserved: 'reserved',
};

/**
 * Checks a URL a tenant registers: its form, its scheme, and every address its host resolves to now. Resolves
 * when `send` would connect; throws `OutboundRefusedError` otherwise. Opens no connection.
 */
export async function checkEndpointUrl(url: string, options: SafeConnectOptions): Promise<void> {
  await checkedTarget(url, options);
}

/**
 * Delivers one request: checks the URL again (its host is resolved again), then connects to the first checked
 * address only, sends, and reads at most `maxBodyBytes` of the response. Never follows a redirect (a 3xx is a
 * failed delivery with its status). A refused URL is returned as `{ ok: false, status: null, refused, error }`
 * with no connection attempted, so the caller records every failure the same way.
 */
export async function send(request: SendRequest, options: SafeConnectOptions): Promise<SendResult> {
  const started = performance.now();
  const finish = (result: Omit<SendResult, 'durationMs'>): SendResult => ({
    ...result,
    durationMs: Math.round(performance.now() - started),
  });
  let target: CheckedTarget;
  try {
    target = await checkedTarget(request.url, options);
  } catch (error) {
    if (!(error instanceof OutboundRefusedError)) throw error;
    return finish({ ok: false, status: null, body: '', headers: {}, refused: error.reason, error: error.message });
  }

  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const responseTimeoutMs = options.responseTimeoutMs ?? DEFAULT_RESPONSE_TIMEOUT_MS;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const dial =
    options.connector ??
    buildConnector({ timeout: connectTimeoutMs, ...(options.tls?.ca !== undefined ? { ca: options.tls.ca } : {}) });

  // One deadline at a time: the connect's (which bounds an injected connector too), then, from the moment the
  // socket is up, the response's, covering status, headers and the body read as one span (a server dripping one
  // byte a second cannot hold the worker past it). Expiry aborts the request and destroys the client: undici
  // honours an abort only once the request is on a socket, so a hanging connect would otherwise hold it forever.
  const deadline = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expireIn = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const reason = new DeadlineError();
      deadline.abort(reason);
      void client.destroy(reason).catch(() => {});
    }, ms);
  };

  const { url, address } = target;
  // The pin: whatever undici asks for, the socket goes to the address checked above. The TLS servername stays
  // the host name (none for an IP literal, which TLS then verifies as an address).
  const pinned: Connector = (connectOptions, callback) => {
    expireIn(connectTimeoutMs);
    const servername = isIP(target.host) === 0 ? target.host : undefined;
    dial({ ...connectOptions, hostname: address, ...(servername !== undefined ? { servername } : {}) }, (...args) => {
      if (args[0] === null) expireIn(responseTimeoutMs);
      callback(...args);
    });
  };

  const client = new Client(url.origin, {
    connect: pinned,
    pipelining: 1,
    // undici's own timers back up the deadline above; they can only fire later than it.
    headersTimeout: responseTimeoutMs,
    bodyTimeout: responseTimeoutMs,
  });
  let status: number | null = null;
  let headers: SendResult['headers'] = {};
  let body = '';
  try {
    const response = await client.request({
      method: request.method ?? 'POST',
      path: url.pathname + url.search,
      headers: request.headers,
      body: request.body,
      signal: deadline.signal,
    });
    status = response.statusCode;
    headers = response.headers;
    body = await readCapped(response.body, maxBodyBytes);
    return finish({ ok: status >= 200 && status < 300, status, body, headers });
  } catch (error) {
    const reason = deadline.signal.aborted ? 'timeout' : transportError(error);
    return finish({ ok: false, status, body, headers, error: reason });
  } finally {
    clearTimeout(timer);
    // Destroy, not close: the connection is never reused, and whatever the server still sends is discarded.
    await client.destroy().catch(() => {});
  }
}

interface CheckedTarget {
  url: URL;
  /** The URL's host without IPv6 brackets. */
  host: string;
  /** The address `send` connects to: checked, and the first the resolver gave. */
  address: string;
}

/** Parses and checks `raw`, resolves its host and checks every address. Throws `OutboundRefusedError`. */
async function checkedTarget(raw: string, options: SafeConnectOptions): Promise<CheckedTarget> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundRefusedError('BAD_URL', 'The webhook URL is not a valid absolute URL');
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const allowed = host !== '' && options.allowedHosts.includes(host);
  if (url.protocol !== 'https:' && !(allowed && url.protocol === 'http:')) {
    throw new OutboundRefusedError('NOT_HTTPS', 'The webhook URL must use https');
  }
  if (host === '') throw new OutboundRefusedError('BAD_URL', 'The webhook URL has no host');
  if (url.username !== '' || url.password !== '') {
    throw new OutboundRefusedError('CREDENTIALS_IN_URL', 'The webhook URL must not contain a user name or password');
  }

  // An IP literal is its own (only) address: nothing to resolve. The URL parser has already turned the
  // shorthand forms (`2130706433`, `0x7f.1`) into dotted quads.
  const addresses = (isIP(host) !== 0 ? [host] : await resolveAll(host, options)).map(judge);
  if (!allowed) {
    const bad = addresses.find((address) => address.badRange !== undefined);
    if (bad !== undefined) {
      throw new OutboundRefusedError(
        'PRIVATE_ADDRESS',
        `The host ${host} resolves to a ${bad.badRange} address, which webhooks may not reach`,
      );
    }
  }
  return { url, host, address: addresses[0]!.canonical };
}

/**
 * Every address `host` resolves to, bounded by the connect timeout. Anything but a non-empty list of IP
 * addresses in standard notation (what the OS connects to as written) is `UNRESOLVABLE`.
 */
async function resolveAll(host: string, options: SafeConnectOptions): Promise<string[]> {
  const resolve = options.resolve ?? defaultResolve;
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const unresolvable = () => new OutboundRefusedError('UNRESOLVABLE', `The host ${host} could not be resolved`);
  let timer: NodeJS.Timeout | undefined;
  try {
    const answers = await Promise.race([
      resolve(host),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(unresolvable()), timeoutMs))),
    ]);
    const addresses = answers.map((answer) => answer.address);
    const valid = (address: string) => isIP(address) !== 0 && ipaddr.isValid(address);
    if (addresses.length === 0 || !addresses.every(valid)) throw unresolvable();
    return addresses;
  } catch (error) {
    throw error instanceof OutboundRefusedError ? error : unresolvable();
  } finally {
    clearTimeout(timer);
  }
}

async function defaultResolve(host: string): Promise<ResolvedAddress[]> {
  const answers = await lookup(host, { all: true, order: 'verbatim' });
  return answers.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
}

/** An address as judged: the form `send` dials, and what makes it unreachable for webhooks (if anything). */
interface JudgedAddress {
  /**
   * ipaddr.js's own notation of the address it judged. `send` dials this rather than the resolver's text, so the
   * address checked and the address connected to are one even where the notations are read differently
   * (ipaddr.js reads `::127.0.0.1` as `::ffff:7f00:1`, the IPv4-mapped loopback).
   */
  canonical: string;
  /** The range's name for a refusal message; undefined for a public unicast address. */
  badRange: string | undefined;
}

/**
 * Judges one address (standard notation, `net.isIP`'s). Only ipaddr.js's `unicast` passes; an IPv4-mapped IPv6
 * address is judged by the IPv4 address inside it.
 */
function judge(address: string): JudgedAddress {
  const parsed = ipaddr.parse(address);
  const canonical = parsed.kind() === 'ipv6' ? (parsed as ipaddr.IPv6).toRFC5952String() : parsed.toString();
  return { canonical, badRange: badRange(parsed, canonical) };
}

function badRange(parsed: ipaddr.IPv4 | ipaddr.IPv6, canonical: string): string | undefined {
  if (METADATA_ADDRESSES.has(canonical)) return 'cloud metadata';
  const range = parsed.range();
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) return judge(v6.toIPv4Address().toString()).badRange;
    // IPv4-compatible addresses (::/96, deprecated) fall in no ipaddr.js range but carry an IPv4 address.
    if (range === 'unicast' && v6.parts.slice(0, 6).every((part) => part === 0)) return 'reserved';
  }
  if (range === 'unicast') return undefined;
  return RANGE_NAMES[range] ?? 'special-purpose';
}

/** The deadline's abort reason: the catch reports 'timeout' from the signal, whatever undici threw. */
class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

/**
 * Reads at most `maxBytes` of `body`, then destroys it: the rest is never buffered, and the connection (destroyed
 * next) is never reused.
 */
async function readCapped(body: AsyncIterable<Buffer> & { destroy(): unknown }, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const room = maxBytes - size;
      chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
      size += Math.min(chunk.length, room);
      if (size >= maxBytes) break;
    }
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks).toString('utf8');
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const UNREACHABLE_CODES = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN']);
/** OpenSSL's certificate verification codes, as Node reports them. */
const CERT_CODE = /^(?:ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/;

/** A short, stack-free name for a transport failure, safe to show the tenant. */
function transportError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return 'connection failed';
  if (TIMEOUT_CODES.has(code)) return 'timeout';
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (RESET_CODES.has(code)) return 'connection reset';
  if (UNREACHABLE_CODES.has(code)) return 'unreachable';
  if (CERT_CODE.test(code)) return 'tls';
  if (code === 'UND_ERR_INVALID_ARG') return 'invalid request';
  return 'connection failed';
}
