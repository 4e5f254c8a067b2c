import { createParser } from 'eventsource-parser';

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
