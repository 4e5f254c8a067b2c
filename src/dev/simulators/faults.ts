/** A fault a simulator can inject into its responses. */
export type Fault =
  | { kind: 'http5xx'; status?: 500 | 502 | 503 | 504; retryAfterSeconds?: number }
  /**
   * 429; `retryAfterSeconds` omitted means no wait is given at all. `retryAfterHeader: false`
   * keeps the wait in the body only (Check's `error.retryAfter`), as a proxy stripping headers would.
   */
  | { kind: 'rateLimit'; retryAfterSeconds?: number; retryAfterHeader?: boolean }
  /** Refuses the request with `status` and the provider's error envelope, without performing it. */
  | { kind: 'refuse'; status: number }
  /** Accepts the request and never answers (until the socket is closed). */
  | { kind: 'hang' }
  /** Destroys the socket without a response. */
  | { kind: 'reset' }
  /** 200 with a truncated JSON body. */
  | { kind: 'malformedJson' }
  /** Normal answers, but every status word is replaced by `status` (schema drift). */
  | { kind: 'unknownStatus'; status: string }
  /** Answers normally after `delayMs`. */
  | { kind: 'slow'; delayMs: number }
  /**
   * Answers normally, with `headers` set on the answer over the simulator's own (for example an
   * `X-RateLimit-Reset` in another form than the provider documents: milliseconds, an HTTP date).
   */
  | { kind: 'headers'; headers: Record<string, string> }
  /**
   * Performs the request (a write creates its batch), then answers it badly, as a broken proxy or a
   * provider that fails after committing would: `status` a 5xx or 408 error envelope instead of the
   * answer; `truncated` the answer's first half with its full `Content-Length`, then a closed socket;
   * `otherShape` a 2xx of another shape (the id under `batchId`); `oversized` the answer padded past
   * `bytes`; `resetAfterHeaders` the 2xx headers, then a reset; `late` the answer after `delayMs`.
   */
  | {
      kind: 'afterWrite';
      answer: 'status' | 'truncated' | 'otherShape' | 'oversized' | 'resetAfterHeaders' | 'late';
      status?: number;
      delayMs?: number;
      bytes?: number;
    };

/** Every way `afterWrite` answers badly (the write-chaos tests and bench walk them all). */
export const AFTER_WRITE_ANSWERS = [
  'status',
  'truncated',
  'otherShape',
  'oversized',
  'resetAfterHeaders',
  'late',
] as const;

/** A fault plus where and how often it applies. */
export type FaultRule = Fault & {
  /** Apply to the next N matching requests only. @default forever */
  times?: number;
  /** Apply only to paths starting with this. @default every path */
  pathPrefix?: string;
};

/** The active fault rules of one simulator; the first matching rule wins. */
export class FaultTable {
  private rules: FaultRule[] = [];

  set(rule: FaultRule | null): void {
    this.rules = rule ? [{ ...rule }] : [];
  }

  add(rule: FaultRule): void {
    this.rules.push({ ...rule });
  }

  clear(): void {
    this.rules = [];
  }

  /** Returns the fault for this request (consuming one use of a counted rule), or undefined. */
  take(path: string, method = 'GET'): Fault | undefined {
    const index = this.rules.findIndex(
      (r) =>
        (r.pathPrefix === undefined || path.startsWith(r.pathPrefix)) && (r.kind !== 'afterWrite' || method !== 'GET'),
    );
    if (index < 0) return undefined;
    const rule = this.rules[index]!;
    if (rule.times !== undefined) {
      rule.times -= 1;
      if (rule.times <= 0) this.rules.splice(index, 1);
    }
    return rule;
  }

  /** The status-word override in force, without consuming it (it applies to whole bodies). */
  statusOverride(path: string): string | undefined {
    const rule = this.rules.find(
      (r) => r.kind === 'unknownStatus' && (r.pathPrefix === undefined || path.startsWith(r.pathPrefix)),
    );
    return rule?.kind === 'unknownStatus' ? rule.status : undefined;
  }
}
