import { useEffect, useRef, useState } from 'react';
import type { BatchRowFragment } from './__generated__/graphql';
import type { GqlError } from './api/client';
import { watchBatches, type BatchEvent } from './api/live';

/** The latest live state of one watched batch, or why it is no longer watched. */
export interface LiveEntry {
  batch?: BatchRowFragment;
  error?: NonNullable<BatchEvent['error']>;
}

/** `batches(ids:)` takes at most 100 ids. */
const MAX_IDS = 100;
/** How long the watched set must stay put before the subscription is replaced. */
const WATCH_DEBOUNCE_MS = 300;
const RETRY_MS = 5_000;

/**
 * Watches `ids` through ONE `batches(ids:)` subscription. When the set changes, the subscription is
 * replaced after `WATCH_DEBOUNCE_MS` (the old one runs until then and is ended before the new one
 * starts, so the page never holds two). Events are applied once per animation frame.
 */
export function useLiveBatches(
  ids: readonly string[],
  epoch: number,
): { live: ReadonlyMap<string, LiveEntry>; streamErrors: GqlError[] | undefined; watching: number } {
  const [live, setLive] = useState<ReadonlyMap<string, LiveEntry>>(() => new Map());
  const [streamErrors, setStreamErrors] = useState<GqlError[] | undefined>();
  const [retry, setRetry] = useState(0);
  const [watching, setWatching] = useState(0);
  const pending = useRef(new Map<string, LiveEntry>());
  const frame = useRef<number | undefined>(undefined);
  const cancel = useRef<(() => void) | undefined>(undefined);
  const key = [...new Set(ids)].sort().slice(0, MAX_IDS).join(' ');

  const flush = () => {
    frame.current = undefined;
    const updates = pending.current;
    pending.current = new Map();
    if (updates.size === 0) return;
    setLive((previous) => {
      const next = new Map(previous);
      for (const [id, entry] of updates) next.set(id, entry);
      return next;
    });
  };

  useEffect(() => {
    const timer = setTimeout(() => {
      cancel.current?.();
      cancel.current = undefined;
      const watched = key ? key.split(' ') : [];
      setWatching(watched.length);
      if (watched.length === 0) return;
      setStreamErrors(undefined);
      let retryTimer: ReturnType<typeof setTimeout> | undefined;
      // graphql-ws completes a subscription it was asked to end after that: only this one's own end counts.
      let current = true;
      const stop = watchBatches(watched, {
        event(event) {
          pending.current.set(event.id, event.error ? { error: event.error } : { batch: event.batch ?? undefined });
          frame.current ??= requestAnimationFrame(flush);
        },
        failed(errors) {
          setStreamErrors(errors);
          if (errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED') || errors.length === 0) return;
          retryTimer ??= setTimeout(() => setRetry((n) => n + 1), RETRY_MS);
        },
        complete: () => {
          if (current) setWatching(0);
        },
      });
      cancel.current = () => {
        current = false;
        if (retryTimer) clearTimeout(retryTimer);
        stop();
      };
    }, WATCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [key, epoch, retry]);

  useEffect(
    () => () => {
      cancel.current?.();
      if (frame.current !== undefined) cancelAnimationFrame(frame.current);
    },
    [],
  );

  return { live, streamErrors, watching };
}
