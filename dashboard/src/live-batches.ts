import { useEffect, useRef, useState } from 'react';
import type { BatchRowFragment } from './__generated__/graphql';
import type { GqlError } from './api/client';
import { retryable, watchBatch, watchBatches, type BatchEvent } from './api/live';

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
 * Watches the list's `ids` through ONE `batches(ids:)` subscription. When the set changes, the subscription
 * is replaced after `WATCH_DEBOUNCE_MS` (the old one runs until then and is ended before the new one
 * starts, so the list never holds two). Events are applied once per animation frame. The ids come from
 * the gateway's own answers: an id typed by the user (the detail panel's) is never among them, so it
 * cannot make the gateway refuse the list's stream.
 */
export function useLiveBatches(
  ids: readonly string[],
  epoch: number,
): { live: ReadonlyMap<string, LiveEntry>; streamErrors: GqlError[] | undefined } {
  const [live, setLive] = useState<ReadonlyMap<string, LiveEntry>>(() => new Map());
  const [streamErrors, setStreamErrors] = useState<GqlError[] | undefined>();
  const [retry, setRetry] = useState(0);
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
      if (watched.length === 0) return;
      setStreamErrors(undefined);
      let retryTimer: ReturnType<typeof setTimeout> | undefined;
      const stop = watchBatches(watched, {
        next(event) {
          pending.current.set(event.id, event.error ? { error: event.error } : { batch: event.batch ?? undefined });
          frame.current ??= requestAnimationFrame(flush);
        },
        failed(errors) {
          setStreamErrors(errors);
          if (retryable(errors)) retryTimer ??= setTimeout(() => setRetry((n) => n + 1), RETRY_MS);
        },
      });
      cancel.current = () => {
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

  return { live, streamErrors };
}

/** The detail panel's batch as its own subscription tells it: its latest state, or why it is not watched. */
interface LiveBatch {
  batch?: BatchRowFragment;
  errors?: GqlError[];
}

/**
 * Watches the detail panel's batch through its own `batch(id:)` subscription, apart from the list's: a
 * malformed, missing or forbidden id ends this stream alone (its errors are the panel's to show), and the
 * list's rows keep moving. `id` undefined watches nothing (no panel, or a batch known to be finished). A
 * failure that another try can change (TOO_MANY_SUBSCRIPTIONS, a dropped stream) is retried after `RETRY_MS`.
 */
export function useLiveBatch(id: string | undefined, epoch: number): LiveBatch {
  const [state, setState] = useState<LiveBatch & { id?: string }>({});
  const [retry, setRetry] = useState(0);

  useEffect(() => {
    if (id === undefined) return;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    const stop = watchBatch(id, {
      next: (batch) => setState({ id, batch }),
      failed(errors) {
        setState((s) => ({ id, ...(s.id === id && s.batch ? { batch: s.batch } : {}), errors }));
        if (retryable(errors)) retryTimer ??= setTimeout(() => setRetry((n) => n + 1), RETRY_MS);
      },
    });
    return () => {
      if (retryTimer) clearTimeout(retryTimer);
      stop();
    };
  }, [id, epoch, retry]);

  return state.id === id ? state : {};
}
