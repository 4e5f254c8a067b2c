import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ManualClock, SimClock } from './clock.js';
import { FaultTable, type Fault, type FaultRule } from './faults.js';
import { setPace, stateAt, timeOfProgress, type SimBatch } from './model.js';

/** One request as the simulator saw it (headers lowercased). */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
}

/** A parsed request handed to a provider's router. */
export interface SimRequest extends RecordedRequest {
  /** The JSON body, parsed; undefined for an empty or a multipart body. */
  body: unknown;
  /** The body's bytes as received (multipart uploads are read from these). */
  rawBody: Buffer;
  /** The status override of an `unknownStatus` fault in force, if any. */
  statusOverride: string | undefined;
}

/** A router's answer. */
export interface SimResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A batch a write created through the provider's API (what tests count as "upstream batches"). */
export interface CreatedBatch {
  id: string;
  /** The route that created it, e.g. `"POST /v1/batch"`. */
  route: string;
  /** Items, resources or ids it was created with. */
  count: number;
  /** Simulator clock time of its creation. */
  at: number;
  /** Provider specifics: Gameball's operation, Reach's schema, tenant and batch type. */
  detail: Record<string, unknown>;
}

/** Control and inspection of one running simulator, for tests, benches and the demo. */
interface SimulatorControl {
  /** Every batch created through the API since the start (`GET /__sim/created`; `resetCounters` keeps them). */
  created(): CreatedBatch[];
  setFault(rule: FaultRule | null): void;
  addFault(rule: FaultRule): void;
  clearFaults(): void;
  /** Requests per route, e.g. `"GET /v1/batch/:id"`. Control routes are not counted. */
  counters(): Record<string, number>;
  totalRequests(): number;
  /**
   * 429s sent because a provider quota (rate limit) was exceeded; injected `rateLimit` faults are
   * not counted here. Refused requests are also in `counters()` and `totalRequests()`.
   */
  refused(): number;
  /** Clears the counters, `refused()` and the request log (not the quota windows, which follow the clock). */
  resetCounters(): void;
  /** Client connections open now (keep-alive sockets included). */
  openConnections(): number;
  /** The most client connections open at once since the last `resetCounters` (the caller's pool size, in effect). */
  peakConnections(): number;
  requests(): RecordedRequest[];
  /** Batch ids by state now: queued, running, done, partial, failed, cancelled, pending (Reach). */
  idsByState(): Record<string, string[]>;
  /**
   * When batch `id` first had `processed` items processed (epoch ms), from the model: the true
   * time of an upstream change, for measuring change-to-client delay. It follows the batch's pace
   * (`setPace`) as set by now. Null if unknown, or if a freeze keeps the batch from getting there.
   */
  changedAt(id: string, processed: number): number | null;
  /**
   * When a 2xx answer last carried batch `id`'s state (a single read, or a row of a list), in real
   * milliseconds since the last `resetCounters`: how fresh a client's readings of it are.
   */
  readings(id: string): number[];
  /**
   * Sets batch `id`'s pace from the clock's now (`POST /__sim/pace`): its progress goes on from where it is at
   * `factor` times its normal speed (0 freezes it: still running, counts unchanged, never finishing; 0.1 is ten
   * times slower), so it finishes later or sooner. A batch still queued starts on time at that pace. False for an
   * unknown id; a RangeError for a factor that is not a finite number >= 0.
   */
  setPace(id: string, factor: number): boolean;
  /** Every batch back to its normal pace from now, its progress kept (`DELETE /__sim/pace`). */
  resetPace(): void;
  clock: SimClock;
}

/** A running simulator. */
export interface Simulator {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  close(): Promise<void>;
  control: SimulatorControl;
}

/** What a provider plugs into the shared server. */
export interface SimServerOptions {
  port?: number;
  /** Address to listen on (`0.0.0.0` in a container). @default 127.0.0.1 */
  host?: string | undefined;
  clock: SimClock;
  batches: SimBatch[];
  /** Maps a concrete path to its route name for counters, or undefined for 404. */
  routeOf(method: string, path: string): string | undefined;
  handle(req: SimRequest, route: string): SimResponse | Promise<SimResponse>;
  /** The provider's error envelope for injected 5xx/429 faults. */
  errorBody(status: number, message: string, retryAfterSeconds?: number): unknown;
  /** Extra headers on every response. */
  commonHeaders?(): Record<string, string>;
  /** The provider's request quota (Check's per-minute limit, Gameball's windows), if any. */
  quota?: SimQuota | undefined;
  /** A provider's own control routes under `/__sim/` (undefined: not one of its routes). */
  control?(method: string, path: string, input: unknown): SimResponse | undefined | Promise<SimResponse | undefined>;
  /** Planted in every injected error body, so tests can prove it never leaks. @default SECRET_MARKER */
  secretMarker?: string | undefined;
  /** The provider's record of batches its writes created (it pushes to it; `batches` gets the batch too). */
  created?: CreatedBatch[];
  /**
   * Brings `batches` up to the clock (the provider's rolling batches, `createRolling`): called before every
   * request and every control read, so what a simulator shows is always its data at the clock's now.
   */
  sync?(): void;
}

/**
 * A provider's request quota as the shared server applies it: consulted once for every API
 * request (control routes under `/__sim/` excluded), before any injected fault, at the clock's now.
 */
export interface SimQuota {
  /**
   * Counts one request to `route` (undefined for a path the provider does not serve). `refusal`
   * is sent as is (a quota 429, counted by `control.refused()`); `headers` go on the response
   * either way (an injected fault's included), so they describe the windows right after this request.
   */
  admit(route: string | undefined, now: number): { refusal?: SimResponse; headers?: Record<string, string> };
}

/** The default planted secret. */
export const SECRET_MARKER = 'SIM-SECRET-do-not-leak';

const MAX_LOG = 10_000;

/**
 * Starts a provider simulator: a node:http server on loopback with fault injection, request
 * counters and a log, and a control API under `/__sim/` (not counted, no auth).
 */
export async function startSimServer(o: SimServerOptions): Promise<Simulator> {
  const secret = o.secretMarker ?? SECRET_MARKER;
  const faults = new FaultTable();
  const counters = new Map<string, number>();
  let refused = 0;
  let log: RecordedRequest[] = [];
  let readings = new Map<string, number[]>();
  const sockets = new Set<Socket>();
  let peakSockets = 0;
  const byId = new Map(o.batches.map((b) => [b.id, b]));
  const sync = () => o.sync?.();
  /** A batch by id, including those created through the API (or the clock) since the start. */
  const find = (id: string) => {
    sync();
    if (!byId.has(id) && byId.size < o.batches.length) for (const b of o.batches) byId.set(b.id, b);
    return byId.get(id);
  };

  const control: SimulatorControl = {
    created: () => [...(o.created ?? [])],
    setFault: (rule) => faults.set(rule),
    addFault: (rule) => faults.add(rule),
    clearFaults: () => faults.clear(),
    counters: () => Object.fromEntries(counters),
    totalRequests: () => [...counters.values()].reduce((a, b) => a + b, 0),
    refused: () => refused,
    openConnections: () => sockets.size,
    peakConnections: () => peakSockets,
    resetCounters: () => {
      peakSockets = sockets.size;
      counters.clear();
      refused = 0;
      log = [];
      readings = new Map();
    },
    readings: (id) => [...(readings.get(id) ?? [])],
    requests: () => [...log],
    idsByState: () => {
      sync();
      const now = o.clock.now();
      const out: Record<string, string[]> = {
        queued: [],
        running: [],
        done: [],
        partial: [],
        failed: [],
        cancelled: [],
        pending: [],
      };
      for (const b of o.batches) {
        const s = stateAt(b, now);
        const label = s.phase === 'done' ? (s.pending > 0 ? 'pending' : s.failed > 0 ? 'partial' : 'done') : s.phase;
        out[label]!.push(b.id);
      }
      return out;
    },
    changedAt: (id, processed) => {
      const b = find(id);
      if (!b) return null;
      const workable = b.total - b.pendingRecords;
      if (processed <= 0) return b.startAt;
      // Times on the batch's normal pace, moved by its pace changes (null: a freeze keeps it from there).
      const at = timeOfProgress(
        b,
        processed >= b.total ? b.startAt + b.durationMs : b.startAt + Math.ceil((processed * b.durationMs) / workable),
      );
      return Number.isFinite(at) ? at : null;
    },
    setPace: (id, factor) => {
      if (!Number.isFinite(factor) || factor < 0) throw new RangeError(`pace factor must be a number >= 0: ${factor}`);
      const b = find(id);
      if (!b) return false;
      setPace(b, o.clock.now(), factor);
      return true;
    },
    resetPace: () => {
      sync();
      const now = o.clock.now();
      for (const b of o.batches) if (b.pace !== undefined) setPace(b, now, 1);
    },
    clock: o.clock,
  };

  const server = createServer((req, res) => {
    void serve(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, o.errorBody(500, 'simulator error'));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    peakSockets = Math.max(peakSockets, sockets.size);
    socket.on('close', () => sockets.delete(socket));
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const rawBody = await readBody(req);
    const raw = rawBody.toString('utf8');
    sync();
    if (url.pathname.startsWith('/__sim/')) return controlRoute(req.method ?? 'GET', url.pathname, raw, res);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k.toLowerCase()] = v;
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
    };
    log.push(recorded);
    if (log.length > MAX_LOG) log.shift();
    const route = o.routeOf(recorded.method, recorded.path);
    const key = route ?? `${recorded.method} (unknown)`;
    counters.set(key, (counters.get(key) ?? 0) + 1);

    const admission = o.quota?.admit(route, o.clock.now());
    const common = (): Record<string, string> => ({ ...o.commonHeaders?.(), ...admission?.headers });
    if (admission?.refusal) {
      refused++;
      const r = admission.refusal;
      return send(res, r.status, r.body, { ...common(), ...r.headers });
    }
    // A rule that answers badly only after the request was performed matches writes only.
    const fault = faults.take(recorded.path, recorded.method);
    if (fault?.kind === 'hang') return; // the socket stays open until the client or close() ends it
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'slow') await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault?.kind === 'http5xx') {
      const status = fault.status ?? 500;
      const headers: Record<string, string> = { ...common() };
      if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
      return send(
        res,
        status,
        o.errorBody(
          status,
          `internal failure ${secret} at http://10.0.3.7:8080/internal/jobs (token sk_live_${secret})`,
        ),
        headers,
      );
    }
    if (fault?.kind === 'refuse') return send(res, fault.status, o.errorBody(fault.status, 'refused'), common());
    if (fault?.kind === 'rateLimit') {
      const headers: Record<string, string> = { ...common() };
      if (fault.retryAfterSeconds !== undefined && fault.retryAfterHeader !== false)
        headers['retry-after'] = String(fault.retryAfterSeconds);
      return send(res, 429, o.errorBody(429, `Rate limit exceeded ${secret}`, fault.retryAfterSeconds), headers);
    }
    if (fault?.kind === 'malformedJson') {
      res.writeHead(200, { 'content-type': 'application/json', ...common() });
      res.end('{"success":true,"data":{"batchId":"trunc');
      return;
    }
    if (route === undefined) return send(res, 404, o.errorBody(404, 'Not found'), common());
    let body: unknown;
    const multipart = (headers['content-type'] ?? '').startsWith('multipart/form-data');
    try {
      body = raw.length > 0 && !multipart ? JSON.parse(raw) : undefined;
    } catch {
      return send(res, 400, o.errorBody(400, 'Malformed JSON body'), common());
    }
    const answer = await o.handle(
      { ...recorded, body, rawBody, statusOverride: faults.statusOverride(recorded.path) },
      route,
    );
    if (answer.status < 300) noteReadings(answer.body, Date.now());
    if (fault?.kind === 'afterWrite') return answerBadly(res, fault, answer, common(), o.errorBody);
    // Header names in lower case, as the simulator's own, so one replaces the other.
    const overrides =
      fault?.kind === 'headers'
        ? Object.fromEntries(Object.entries(fault.headers).map(([k, v]) => [k.toLowerCase(), v]))
        : {};
    send(res, answer.status, answer.body, { ...common(), ...answer.headers, ...overrides });
  }

  /** Records every batch whose state an answer carries (its own object, or list rows, a level or two down). */
  function noteReadings(body: unknown, at: number, depth = 0): void {
    if (depth > 3 || body === null || typeof body !== 'object') return;
    if (Array.isArray(body)) {
      for (const item of body) noteReadings(item, at, depth + 1);
      return;
    }
    const o = body as Record<string, unknown>;
    for (const key of ['id', 'batchId']) {
      const id = o[key];
      if (typeof id === 'string' && find(id)) {
        const list = readings.get(id) ?? [];
        list.push(at);
        readings.set(id, list);
        return;
      }
    }
    for (const value of Object.values(o)) if (typeof value === 'object') noteReadings(value, at, depth + 1);
  }

  async function controlRoute(method: string, path: string, raw: string, res: ServerResponse): Promise<void> {
    let input: Record<string, unknown> | FaultRule | null;
    try {
      input = raw ? (JSON.parse(raw) as Record<string, unknown> | FaultRule | null) : null;
    } catch {
      return send(res, 400, { error: 'malformed JSON body' });
    }
    if (method === 'GET' && path === '/__sim/counters')
      return send(res, 200, {
        counters: control.counters(),
        total: control.totalRequests(),
        refused: control.refused(),
      });
    if (method === 'POST' && path === '/__sim/counters/reset')
      return (control.resetCounters(), send(res, 204, undefined));
    if (method === 'POST' && path === '/__sim/faults') {
      control.setFault(input === null || Array.isArray(input) ? null : (input as FaultRule));
      return send(res, 204, undefined);
    }
    if (method === 'DELETE' && path === '/__sim/faults') return (control.clearFaults(), send(res, 204, undefined));
    if (method === 'POST' && path === '/__sim/clock/advance') {
      const clock = o.clock as Partial<ManualClock>;
      if (typeof clock.advance !== 'function') return send(res, 409, { error: 'the clock is not manual' });
      clock.advance(Number((input as { ms?: number } | null)?.ms ?? 0));
      return send(res, 204, undefined);
    }
    if (method === 'GET' && path === '/__sim/batches') return send(res, 200, control.idsByState());
    if (path === '/__sim/pace' && (method === 'POST' || method === 'DELETE')) {
      const answer = paceControl(method, input);
      return send(res, answer.status, answer.body);
    }
    if (method === 'GET' && path === '/__sim/created') return send(res, 200, { created: control.created() });
    const own = await o.control?.(method, path, input);
    if (own) return send(res, own.status, own.body, own.headers);
    send(res, 404, { error: 'unknown control route' });
  }

  /** `POST /__sim/pace {id, factor}` sets one batch's pace from now; `DELETE /__sim/pace` resets every batch's. */
  function paceControl(method: string, input: unknown): SimResponse {
    if (method === 'DELETE') return (control.resetPace(), { status: 204, body: undefined });
    const { id, factor } = (input ?? {}) as { id?: unknown; factor?: unknown };
    if (typeof id !== 'string' || typeof factor !== 'number' || !Number.isFinite(factor) || factor < 0)
      return { status: 400, body: { error: 'id must be a batch id and factor a number >= 0' } };
    return control.setPace(id, factor)
      ? { status: 204, body: undefined }
      : { status: 404, body: { error: 'unknown batch' } };
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    control,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Answers a performed request badly, as an `afterWrite` fault says (the write itself has happened). */
async function answerBadly(
  res: ServerResponse,
  fault: Extract<Fault, { kind: 'afterWrite' }>,
  answer: SimResponse,
  common: Record<string, string>,
  errorBody: (status: number, message: string) => unknown,
): Promise<void> {
  const text = JSON.stringify(answer.body ?? {});
  const json = { 'content-type': 'application/json; charset=utf-8', ...common };
  switch (fault.answer) {
    case 'status': {
      const status = fault.status ?? 502;
      return send(res, status, errorBody(status, 'upstream failure after the write was stored'), common);
    }
    case 'truncated': {
      res.writeHead(answer.status, { ...json, 'content-length': String(Buffer.byteLength(text)) });
      res.write(text.slice(0, Math.floor(text.length / 2)));
      await new Promise((r) => setTimeout(r, 20));
      res.socket?.destroy();
      return;
    }
    case 'otherShape': {
      const body = answer.body as Record<string, unknown>;
      const { id, jobId, batchId, ...rest } = body;
      // The id under another name: `batchId` for Check and Gameball, `id` for Reach.
      const moved = batchId !== undefined ? { id: batchId } : { batchId: id ?? jobId };
      return send(res, answer.status, { ...moved, ...rest }, common);
    }
    case 'oversized': {
      const pad = 'x'.repeat(Math.max(0, (fault.bytes ?? 6 * 1024 * 1024) + 1 - text.length));
      const padded = `{"padding":"${pad}",${text.slice(1)}`;
      return send(res, answer.status, JSON.parse(padded), common);
    }
    case 'resetAfterHeaders': {
      res.writeHead(answer.status, { ...json, 'transfer-encoding': 'chunked' });
      res.flushHeaders();
      await new Promise((r) => setTimeout(r, 20));
      res.socket?.destroy();
      return;
    }
    case 'late': {
      await new Promise((r) => setTimeout(r, fault.delayMs ?? 5_000));
      if (!res.socket || res.socket.destroyed) return;
      return send(res, answer.status, answer.body, { ...common, ...answer.headers });
    }
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** ISO-8601 for a timestamp, or null. */
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
