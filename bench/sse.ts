import { createParser } from 'eventsource-parser';
import type { Dispatcher } from 'undici';

/**
 * Reads an SSE response body (yoga's distinct-connections stream), calling `onNext` with each `next` event's
 * payload.
 */
export async function forEachNext(body: ReadableStream<Uint8Array>, onNext: (payload: unknown) => void): Promise<void> {
  const parser = createParser({
    onEvent(event) {
      if (event.event === 'next') onNext(JSON.parse(event.data) as unknown);
    },
  });
  const decoder = new TextDecoder();
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>)
    parser.feed(decoder.decode(chunk, { stream: true }));
}

/** Opens one subscription over SSE (distinct connections) and resolves with its event stream. */
export async function openSse(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  signal: AbortSignal,
  dispatcher: Dispatcher,
): Promise<ReadableStream<Uint8Array>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query, variables }),
    signal,
    // @ts-expect-error undici's dispatcher option on Node's fetch
    dispatcher,
  });
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
  return res.body;
}
