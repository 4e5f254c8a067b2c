/**
 * The image's HEALTHCHECK (`node dist/healthcheck.js [url]`): exits 0 when `url` (default: the
 * gateway's `GET /health` on this host's `PORT`, read as the gateway reads it) answers 2xx within 2 s, else 1.
 * node:24-slim has neither curl nor wget.
 */
import { readFragment } from './config/settings.js';
import { serverSettings } from './http/server-settings.js';

try {
  const url = process.argv[2] ?? `http://127.0.0.1:${readFragment(serverSettings, process.env).port}/health`;
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  process.exit(res.ok ? 0 : 1);
} catch {
  process.exit(1);
}
