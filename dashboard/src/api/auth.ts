import { useSyncExternalStore } from 'react';

/**
 * The bearer token (AUTH_MODE=jwt), kept in session storage: it lives as long as the tab. A request
 * answered UNAUTHENTICATED, or a WebSocket closed with 4403, asks for a new one (`require`).
 */
const KEY = 'batchql.token';

export interface AuthState {
  /** Why a token is needed now (shown in the dialog); undefined while none is asked for. */
  needed: string | undefined;
  /** Bumped whenever the token changes: data and the live stream start over with it. */
  epoch: number;
  hasToken: boolean;
}

const read = (): string | undefined => {
  try {
    return sessionStorage.getItem(KEY) ?? undefined;
  } catch {
    return undefined;
  }
};

let token = read();
let state: AuthState = { needed: undefined, epoch: 0, hasToken: token !== undefined };
const listeners = new Set<() => void>();
const emit = (next: Partial<AuthState>) => {
  state = { ...state, ...next };
  for (const listener of listeners) listener();
};

export const auth = {
  token: (): string | undefined => token,
  /** Stores a token (with or without its `Bearer ` prefix) and starts everything over with it. */
  set(value: string): void {
    token = value.replace(/^Bearer\s+/i, '').trim() || undefined;
    try {
      if (token) sessionStorage.setItem(KEY, token);
      else sessionStorage.removeItem(KEY);
    } catch {
      // storage refused (private mode): the token lives in memory only
    }
    emit({ needed: undefined, epoch: state.epoch + 1, hasToken: token !== undefined });
  },
  /** Asks the user for a (new) token; the first reason wins until one is given. */
  require(reason: string): void {
    if (state.needed === undefined) emit({ needed: reason });
  },
  /** The user closed the dialog without a token: stop asking until the next refusal. */
  dismiss(): void {
    emit({ needed: undefined });
  },
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  snapshot: (): AuthState => state,
};

export const useAuth = (): AuthState => useSyncExternalStore(auth.subscribe, auth.snapshot);
