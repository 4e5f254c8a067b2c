/**
 * The SSRF-safe webhook client (src/notifications/safe-connect.ts). Refusals are proved with a fake resolver and
 * a spy connector: the connector is never called, so no connection was attempted. Real traffic goes only to
 * loopback receivers this file starts itself, with their host allow-listed.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  checkEndpointUrl,
  OutboundRefusedError,
  send,
  type Connector,
  type ResolvedAddress,
  type SafeConnectOptions,
} from '../../src/notifications/safe-connect.js';

const PUBLIC_V4 = '93.184.216.34';
const PUBLIC_V6 = '2606:2800:220:1:248:1893:25c8:1946';
const HOOK = 'https://hooks.example.test/batchql';
const POST = { headers: { 'content-type': 'application/json' }, body: '{"type":"batch.completed"}' };

/** A resolver answering `answers` in turn (the last one for good), counting its calls. */
function fakeResolver(...answers: string[][]) {
  let call = 0;
  return vi.fn(async (_host: string): Promise<ResolvedAddress[]> => {
    const addresses = answers[Math.min(call++, answers.length - 1)]!;
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  });
}

/** A connector that records what it was asked to dial and fails without touching the network. */
function spyConnector() {
  return vi.fn<Connector>((_options, callback) => callback(new Error('spy connector: no connection'), null));
}

/** Options with nothing allow-listed, the fake resolver and the spy connector. */
function offline(resolve: ReturnType<typeof fakeResolver>, connector = spyConnector()) {
  return { options: { allowedHosts: [], resolve, connector } satisfies SafeConnectOptions, connector, resolve };
}

async function refusal(promise: Promise<unknown>): Promise<OutboundRefusedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OutboundRefusedError);
  return error as OutboundRefusedError;
}

describe('URL form and scheme', () => {
  it.each([
    ['http to a host not allow-listed', 'http://hooks.example.test/x', 'NOT_HTTPS'],
    ['another scheme', 'ftp://hooks.example.test/x', 'NOT_HTTPS'],
    ['a file URL', 'file:///etc/passwd', 'NOT_HTTPS'],
    ['a user and password', 'https://user:secret@hooks.example.test/x', 'CREDENTIALS_IN_URL'],
    ['a user alone', 'https://user@hooks.example.test/x', 'CREDENTIALS_IN_URL'],
    ['garbage', 'not a url', 'BAD_URL'],
    ['a relative URL', '/hooks', 'BAD_URL'],
    ['an empty string', '', 'BAD_URL'],
  ])('refuses %s before resolving or connecting', async (_name, url, reason) => {
    const { options, connector, resolve } = offline(fakeResolver([PUBLIC_V4]));
    expect((await refusal(checkEndpointUrl(url, options))).reason).toBe(reason);
    const result = await send({ url, ...POST }, options);
    expect(result).toMatchObject({ ok: false, status: null, refused: reason, body: '' });
    expect(result.error).toEqual(expect.any(String));
    expect(resolve).not.toHaveBeenCalled();
    expect(connector).not.toHaveBeenCalled();
  });

  it('allows http only to an allow-listed host, matched exactly', async () => {
    const resolve = fakeResolver(['127.0.0.1']);
    const options = { allowedHosts: ['localhost'], resolve, connector: spyConnector() };
    await expect(checkEndpointUrl('http://localhost:8080/x', options)).resolves.toBeUndefined();
    expect((await refusal(checkEndpointUrl('http://localhost.:8080/x', options))).reason).toBe('NOT_HTTPS');
    expect((await refusal(checkEndpointUrl('http://127.0.0.1:8080/x', options))).reason).toBe('NOT_HTTPS');
  });

  it('says what is wrong without internal details', async () => {
    const { options } = offline(fakeResolver(['10.1.2.3']));
    const error = await refusal(checkEndpointUrl(HOOK, options));
    expect(error.message).toBe(
      'The host hooks.example.test resolves to a private address, which webhooks may not reach',
    );
    expect(error.message).not.toContain('10.1.2.3');
  });
});

describe('addresses', () => {
  it.each([
    ['10.0.0.5', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['127.9.9.9', 'loopback'],
    ['169.254.169.254', 'cloud metadata'],
    ['169.254.1.1', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.100.100.200', 'cloud metadata'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.5', 'private'],
    ['::ffff:169.254.169.254', 'cloud metadata'],
    ['::127.0.0.1', 'loopback'],
    ['::7f00:1', 'reserved'],
    ['fd00::1', 'unique-local'],
    ['fc00::1', 'unique-local'],
    ['fd00:ec2::254', 'cloud metadata'],
    ['fe80::1', 'link-local'],
    ['ff02::1', 'multicast'],
    ['64:ff9b::7f00:1', 'special-purpose'],
    ['2001:db8::1', 'reserved'],
  ])('refuses a host resolving to %s (%s), at creation and at send, with no connection', async (address, range) => {
    const { options, connector } = offline(fakeResolver([address]));
    const error = await refusal(checkEndpointUrl(HOOK, options));
    expect(error.reason).toBe('PRIVATE_ADDRESS');
    expect(error.message).toContain(`a ${range} address`);
    const result = await send({ url: HOOK, ...POST }, options);
    expect(result).toMatchObject({ ok: false, status: null, refused: 'PRIVATE_ADDRESS', error: error.message });
    expect(connector).not.toHaveBeenCalled();
  });

  it('refuses when any one of several addresses is bad, wherever it comes in the answer', async () => {
    for (const answer of [
      [PUBLIC_V4, '127.0.0.1'],
      ['10.0.0.5', PUBLIC_V4],
      [PUBLIC_V6, '::1'],
    ]) {
      const { options, connector } = offline(fakeResolver(answer));
      expect((await refusal(checkEndpointUrl(HOOK, options))).reason).toBe('PRIVATE_ADDRESS');
      expect((await send({ url: HOOK, ...POST }, options)).refused).toBe('PRIVATE_ADDRESS');
      expect(connector).not.toHaveBeenCalled();
    }
  });

  it.each([
    'https://127.0.0.1/x',
    'https://2130706433/x',
    'https://0x7f.1/x',
    'https://[::1]/x',
    'https://[::ffff:127.0.0.1]/x',
    'https://169.254.169.254/latest/meta-data',
    'https://[fd00:ec2::254]/x',
    'https://10.0.0.5:8443/x',
  ])('checks the IP literal in %s itself, with no resolution and no connection', async (url) => {
    const { options, connector, resolve } = offline(fakeResolver([PUBLIC_V4]));
    expect((await refusal(checkEndpointUrl(url, options))).reason).toBe('PRIVATE_ADDRESS');
    expect((await send({ url, ...POST }, options)).refused).toBe('PRIVATE_ADDRESS');
    expect(resolve).not.toHaveBeenCalled();
    expect(connector).not.toHaveBeenCalled();
  });

  it.each([[[PUBLIC_V4]], [[PUBLIC_V6]], [['::ffff:93.184.216.34']], [[PUBLIC_V4, PUBLIC_V6]]])(
    'accepts a host resolving only to public unicast addresses (%j)',
    async (answer) => {
      const { options, connector } = offline(fakeResolver(answer));
      await expect(checkEndpointUrl(HOOK, options)).resolves.toBeUndefined();
      expect(connector).not.toHaveBeenCalled();
    },
  );

  it('refuses an unresolvable host, an empty answer and an answer that is not an address', async () => {
    const failing = vi.fn(async () =>
      Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' })),
    );
    const answers = [failing, fakeResolver([]), fakeResolver(['not-an-ip']), fakeResolver(['0177.0.0.1'])];
    for (const resolve of answers) {
      const connector = spyConnector();
      const options = { allowedHosts: [], resolve, connector };
      const error = await refusal(checkEndpointUrl(HOOK, options));
      expect(error.reason).toBe('UNRESOLVABLE');
      expect(error.message).toBe('The host hooks.example.test could not be resolved');
      expect((await send({ url: HOOK, ...POST }, options)).refused).toBe('UNRESOLVABLE');
      expect(connector).not.toHaveBeenCalled();
    }
  });

  it('gives up on a resolver that never answers after the connect timeout', async () => {
    const resolve = vi.fn(() => new Promise<ResolvedAddress[]>(() => {}));
    const options = { allowedHosts: [], resolve, connector: spyConnector(), connectTimeoutMs: 50 };
    expect((await refusal(checkEndpointUrl(HOOK, options))).reason).toBe('UNRESOLVABLE');
  });
});

describe('DNS rebinding and pinning', () => {
  it('resolves again at send: a host that turned private is refused with no connection', async () => {
    const { options, connector, resolve } = offline(fakeResolver([PUBLIC_V4], ['127.0.0.1']));
    await expect(checkEndpointUrl(HOOK, options)).resolves.toBeUndefined();
    const result = await send({ url: HOOK, ...POST }, options);
    expect(result).toMatchObject({ ok: false, status: null, refused: 'PRIVATE_ADDRESS' });
    expect(resolve).toHaveBeenCalledTimes(2);
    expect(connector).toHaveBeenCalledTimes(0);
  });

  it.each([
    [PUBLIC_V4, [PUBLIC_V4, PUBLIC_V6]],
    [PUBLIC_V6, [PUBLIC_V6]],
    ['::ffff:5db8:d822', ['::FFFF:93.184.216.34']],
  ])('connects to exactly the checked address %s, with the host name as TLS servername', async (first, answer) => {
    // The second answer would be private: had the client looked the name up again to connect, it could not
    // have asked the connector for the checked address.
    const { options, connector, resolve } = offline(fakeResolver(answer, ['127.0.0.1']));
    const result = await send({ url: 'https://hooks.example.test:8443/batchql?x=1', ...POST }, options);
    expect(result).toMatchObject({ ok: false, status: null, error: 'connection failed' });
    expect(result.refused).toBeUndefined();
    expect(resolve).toHaveBeenCalledTimes(1);
    expect(connector).toHaveBeenCalledTimes(1);
    expect(connector.mock.calls[0]![0]).toMatchObject({
      hostname: first,
      servername: 'hooks.example.test',
      protocol: 'https:',
      port: '8443',
    });
  });

  it('dials an IP literal host as itself, with no servername', async () => {
    const { options, connector, resolve } = offline(fakeResolver(['127.0.0.1']));
    await send({ url: `https://[${PUBLIC_V6}]/x`, ...POST }, options);
    expect(resolve).not.toHaveBeenCalled();
    expect(connector.mock.calls[0]![0].hostname).toBe(PUBLIC_V6);
    expect(connector.mock.calls[0]![0].servername ?? undefined).toBeUndefined();
  });

  it('bounds a connector that never calls back by the connect timeout', async () => {
    const hanging = vi.fn<Connector>(() => {});
    const { options } = offline(fakeResolver([PUBLIC_V4]), hanging);
    const result = await send({ url: HOOK, ...POST }, { ...options, connectTimeoutMs: 100 });
    expect(result).toMatchObject({ ok: false, status: null, error: 'timeout' });
    expect(hanging).toHaveBeenCalledTimes(1);
  });
});

/** Loopback receivers started by the tests, closed (with their connections) after each test. */
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

interface Receiver {
  server: Server;
  url: string;
  port: number;
  /** Requests that reached the receiver. */
  hits: { method: string | undefined; url: string | undefined; headers: Record<string, unknown>; body: string }[];
}

async function listen(server: Server, scheme: 'http' | 'https', handler: RequestListener): Promise<Receiver> {
  const hits: Receiver['hits'] = [];
  server.on('request', (req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      hits.push({ method: req.method, url: req.url, headers: req.headers, body });
      handler(req, res);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, port, url: `${scheme}://127.0.0.1:${port}`, hits };
}

const receiver = (handler: RequestListener) => listen(createHttpServer(), 'http', handler);

/** Resolves once the server holds no open connection (the client closed its socket). */
async function drained(server: Server): Promise<void> {
  await vi.waitFor(
    () =>
      new Promise<void>((resolve, reject) =>
        server.getConnections((error, count) => (error || count > 0 ? reject(new Error(`${count} open`)) : resolve())),
      ),
    { timeout: 2_000, interval: 20 },
  );
}

const LOOPBACK: SafeConnectOptions = { allowedHosts: ['127.0.0.1'] };

describe('against a loopback receiver (allow-listed)', () => {
  it('delivers a POST and reports a 2xx as ok, closing its connection', async () => {
    const r = await receiver((_req, res) => res.writeHead(200, { 'x-receipt': 'r1' }).end('thanks'));
    const result = await send({ url: `${r.url}/hook?tenant=t1`, ...POST }, LOOPBACK);
    expect(result).toMatchObject({ ok: true, status: 200, body: 'thanks' });
    expect(result.headers['x-receipt']).toBe('r1');
    expect(result.error).toBeUndefined();
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(r.hits).toEqual([
      {
        method: 'POST',
        url: '/hook?tenant=t1',
        headers: expect.objectContaining({ 'content-type': 'application/json', host: `127.0.0.1:${r.port}` }),
        body: POST.body,
      },
    ]);
    await drained(r.server);
  });

  it('reports a non-2xx as a failed delivery with its status and body', async () => {
    const r = await receiver((_req, res) => res.writeHead(503).end('busy'));
    const result = await send({ url: r.url, ...POST }, LOOPBACK);
    expect(result).toMatchObject({ ok: false, status: 503, body: 'busy' });
    expect(result.error).toBeUndefined();
  });

  it('returns a redirect as is, without following it', async () => {
    const target = await receiver((_req, res) => res.writeHead(200).end());
    const r = await receiver((_req, res) => res.writeHead(302, { location: `${target.url}/elsewhere` }).end());
    const result = await send({ url: r.url, ...POST }, LOOPBACK);
    expect(result).toMatchObject({ ok: false, status: 302 });
    expect(result.headers.location).toBe(`${target.url}/elsewhere`);
    expect(r.hits).toHaveLength(1);
    expect(target.hits).toHaveLength(0);
  });

  it('reads at most maxBodyBytes of a 5 MB body and drops the connection', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let finished = false;
    const r = await receiver((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const write = (left: number): void => {
        if (left === 0) return void res.end(() => (finished = true));
        if (res.write(chunk)) write(left - 1);
        else res.once('drain', () => write(left - 1));
      };
      write(80);
    });
    const result = await send({ url: r.url, ...POST }, { ...LOOPBACK, maxBodyBytes: 1000 });
    expect(result).toMatchObject({ ok: true, status: 200, body: 'a'.repeat(1000) });
    await drained(r.server);
    expect(finished).toBe(false);
  });

  it('defaults to 4096 bytes of body', async () => {
    const r = await receiver((_req, res) => res.writeHead(200).end('b'.repeat(10_000)));
    const result = await send({ url: r.url, ...POST }, LOOPBACK);
    expect(result.body).toBe('b'.repeat(4096));
  });

  it('gives up on a receiver that never answers after responseTimeoutMs', async () => {
    const r = await receiver(() => {});
    const result = await send({ url: r.url, ...POST }, { ...LOOPBACK, responseTimeoutMs: 300 });
    expect(result).toMatchObject({ ok: false, status: null, error: 'timeout' });
    expect(result.durationMs).toBeGreaterThanOrEqual(290);
    expect(result.durationMs).toBeLessThan(2_000);
    await drained(r.server);
  });

  it('bounds headers and body together: a body dripping slowly times out with its status kept', async () => {
    const r = await receiver((_req, res) => {
      res.writeHead(200);
      const drip = setInterval(() => res.write('.'), 50);
      res.on('close', () => clearInterval(drip));
    });
    const result = await send({ url: r.url, ...POST }, { ...LOOPBACK, responseTimeoutMs: 300 });
    expect(result).toMatchObject({ ok: false, status: 200, error: 'timeout' });
    expect(result.durationMs).toBeLessThan(2_000);
    await drained(r.server);
  });

  it('reports a closed port as connection refused', async () => {
    const r = await receiver(() => {});
    await new Promise<void>((resolve) => r.server.close(() => resolve()));
    const result = await send({ url: r.url, ...POST }, LOOPBACK);
    expect(result).toMatchObject({ ok: false, status: null, error: 'connection refused' });
    expect(result.refused).toBeUndefined();
  });

  it('reports a receiver that hangs up without answering as connection reset', async () => {
    const r = await receiver((req) => req.socket.destroy());
    const result = await send({ url: r.url, ...POST }, LOOPBACK);
    expect(result).toMatchObject({ ok: false, status: null, error: 'connection reset' });
  });

  it('connects an allow-listed host name to its pinned address, keeping the name in Host', async () => {
    const r = await receiver((_req, res) => res.writeHead(204).end());
    const resolve = fakeResolver(['127.0.0.1']);
    const options = { allowedHosts: ['receiver.test'], resolve };
    const result = await send({ url: `http://receiver.test:${r.port}/x`, ...POST }, options);
    expect(result).toMatchObject({ ok: true, status: 204 });
    expect(r.hits[0]!.headers.host).toBe(`receiver.test:${r.port}`);
    expect(resolve).toHaveBeenCalledTimes(1);
  });
});

describe('HTTPS against a loopback receiver (test-only self-signed certificate)', () => {
  const fixture = (name: string) => readFileSync(new URL(`../fixtures/tls/${name}`, import.meta.url));
  const cert = fixture('cert.pem');
  const key = fixture('key.pem');
  const httpsReceiver = (handler: RequestListener) => listen(createHttpsServer({ cert, key }), 'https', handler);

  it('delivers to a host name whose certificate is trusted through tls.ca', async () => {
    const r = await httpsReceiver((_req, res) => res.writeHead(200).end('secure'));
    const options = { allowedHosts: ['localhost'], resolve: fakeResolver(['127.0.0.1']), tls: { ca: cert } };
    const result = await send({ url: `https://localhost:${r.port}/x`, ...POST }, options);
    expect(result).toMatchObject({ ok: true, status: 200, body: 'secure' });
    await drained(r.server);
  });

  it('verifies an IP literal host against the certificate as an address', async () => {
    const r = await httpsReceiver((_req, res) => res.writeHead(200).end());
    const result = await send({ url: `${r.url}/x`, ...POST }, { ...LOOPBACK, tls: { ca: cert } });
    expect(result).toMatchObject({ ok: true, status: 200 });
  });

  it('fails as tls on an untrusted certificate, with no request delivered', async () => {
    const r = await httpsReceiver((_req, res) => res.writeHead(200).end());
    const options = { allowedHosts: ['localhost'], resolve: fakeResolver(['127.0.0.1']) };
    const result = await send({ url: `https://localhost:${r.port}/x`, ...POST }, options);
    expect(result).toMatchObject({ ok: false, status: null, error: 'tls' });
    expect(r.hits).toHaveLength(0);
  });

  it('verifies the certificate against the host name, not the pinned address', async () => {
    // The certificate names localhost and 127.0.0.1: a host name it does not name fails even at that address.
    const r = await httpsReceiver((_req, res) => res.writeHead(200).end());
    const options = { allowedHosts: ['receiver.test'], resolve: fakeResolver(['127.0.0.1']), tls: { ca: cert } };
    const result = await send({ url: `https://receiver.test:${r.port}/x`, ...POST }, options);
    expect(result).toMatchObject({ ok: false, status: null, error: 'tls' });
    expect(r.hits).toHaveLength(0);
  });
});
