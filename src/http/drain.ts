/**
 * The HTTP side of a graceful shutdown: which requests are in flight, which of them are live
 * SSE streams, and how both end when the process stops (see `RunningGateway.shutdown`).
 */
import { ServerResponse, type IncomingMessage, type RequestListener } from 'node:http';
import type { Plugin } from 'graphql-yoga';

/** What the drain did, for the exit log line. */
export interface HttpDrainCounts {
  /** GraphQL requests (not streams) finished during the drain: in flight at its start, or sent on a kept connection. */
  queriesDrained: number;
  /** GraphQL requests still unfinished when the timeout destroyed their connections. */
  queriesCut: number;
  /** SSE subscription streams ended without `complete` (so that their clients reconnect). */
  sseStreamsClosed: number;
}

interface Tracked {
  graphql: boolean;
  /** A subscription's SSE response (marked by `plugin()`). */
  stream: boolean;
  cut: boolean;
  /** Ends the subscription behind the stream, so its watch (and poll lease) is let go at once. */
  stop?: () => void;
}

const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'close' };

function wantsEventStream(req: IncomingMessage): boolean {
  return /text\/event-stream/i.test(req.headers.accept ?? '');
}

/**
 * Tracks every HTTP request of one server and ends them well at shutdown:
 * - queries in flight finish; their responses (and any request sent on a kept-alive connection
 *   during the drain) carry `Connection: close`, so each connection closes after its response;
 * - SSE subscription streams end at once, without `complete`: the response is ended (a clean
 *   end of the chunked body) and its connection closed, and anything yoga writes afterwards,
 *   its `complete` event included, goes nowhere. EventSource and graphql-sse clients treat a
 *   stream that ends without `complete` as a dropped connection and reconnect, through the load
 *   balancer, to a replica that is not stopping;
 * - a new SSE request during the drain gets such an ended stream at once.
 */
export class HttpDrain {
  private readonly open = new Map<ServerResponse, Tracked>();
  private isDraining = false;
  private readonly counts = { queriesDrained: 0, sseStreamsClosed: 0 };

  constructor(private readonly graphqlPath: string) {}

  get draining(): boolean {
    return this.isDraining;
  }

  /** Wraps the server's request listener (outermost, so every response is seen). */
  listener(handler: RequestListener): RequestListener {
    return (req, res) => {
      const entry: Tracked = {
        graphql: (req.url ?? '/').split('?')[0] === this.graphqlPath,
        stream: false,
        cut: false,
      };
      this.open.set(res, entry);
      res.once('close', () => {
        this.open.delete(res);
        if (this.isDraining && entry.graphql && !entry.stream && res.writableFinished) this.counts.queriesDrained++;
      });
      if (this.isDraining) {
        res.setHeader('connection', 'close');
        if (entry.graphql && wantsEventStream(req)) {
          entry.stream = true;
          entry.cut = true;
          res.writeHead(200, SSE_HEADERS);
          res.end();
          return;
        }
      }
      handler(req, res);
    };
  }

  /** A yoga plugin marking the SSE responses of subscriptions (WebSocket operations have no response). */
  plugin(): Plugin {
    return {
      onSubscribe: ({ args }) => {
        const res = (args.contextValue as { res?: unknown }).res;
        const entry = res instanceof ServerResponse ? this.open.get(res) : undefined;
        if (!entry || !(res instanceof ServerResponse)) return;
        entry.stream = true;
        if (this.isDraining) this.cut(res, entry);
        return {
          onSubscribeResult: ({ result }) => {
            const stop = () => void Promise.resolve((result as AsyncIterator<unknown>).return?.()).catch(() => {});
            // Cut before it started (the drain began meanwhile): nobody will read it, so end it here.
            if (entry.cut) stop();
            else entry.stop = stop;
          },
        };
      },
    };
  }

  /** Starts the drain: new responses close their connection, streams end now. */
  begin(): void {
    this.isDraining = true;
    for (const [res, entry] of this.open) {
      if (entry.stream) this.cut(res, entry);
      else if (!res.headersSent) res.setHeader('connection', 'close');
    }
  }

  /** Requests still being answered, streams not counted (every request, probes included). */
  inFlight(): number {
    let n = 0;
    for (const entry of this.open.values()) if (!entry.stream) n++;
    return n;
  }

  /** The counts so far; unfinished GraphQL requests are counted as cut (call it when giving up on them). */
  report(): HttpDrainCounts {
    let queriesCut = 0;
    for (const entry of this.open.values()) if (entry.graphql && !entry.stream) queriesCut++;
    return { ...this.counts, queriesCut };
  }

  private cut(res: ServerResponse, entry: Tracked): void {
    if (entry.cut) return;
    entry.cut = true;
    this.counts.sseStreamsClosed++;
    if (!res.headersSent) {
      // Not started yet: an SSE response that ends at once (yoga finds it ended and sends nothing).
      res.writeHead(200, SSE_HEADERS);
      res.end();
      return;
    }
    const socket = res.socket;
    // What yoga still writes to this response, its `complete` event included, goes nowhere.
    res.write = (() => true) as ServerResponse['write'];
    res.end();
    // Closed after the end of the body, so the client's reconnect takes a new connection (to another replica).
    socket?.end();
    entry.stop?.();
  }
}
