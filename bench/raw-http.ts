/**
 * What `bench:chaos` needs beside fetch, from the tests' helpers (one copy of each): POSTs over `node:http`
 * that may be answered (or cut) before their body is sent, the anonymous multipart flood's body, and a gateway
 * process's CPU and memory from /proc.
 */
import { codeOf, type RawOutcome } from '../test/helpers/raw-post.js';

export { floodBody, FLOOD_PARTS, rawPost, codeOf, type RawOutcome } from '../test/helpers/raw-post.js';
export { cpuSeconds, rssBytes } from '../test/helpers/process-stats.js';

/** Whether an anonymous request was refused as it must be: 401 UNAUTHENTICATED, or its connection closed. */
export const refusedAnonymous = (o: RawOutcome): boolean =>
  (o.kind === 'answer' && o.status === 401 && codeOf(o) === 'UNAUTHENTICATED') || o.kind === 'closed';
