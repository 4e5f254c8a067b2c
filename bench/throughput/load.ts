/** Runs one case of `npm run bench` with autocannon: a body per request, a sample of the answers checked. */
import autocannon from 'autocannon';
import type { BenchCase, BenchRequest } from './cases.js';
import type { Measure } from './report.js';

/** Every this many responses, one is parsed and checked in full (the rest only for `"errors"`). */
const SAMPLE_EVERY = 20;

/** Runs `c` against `origin` for `seconds`; failures count non-2xx, socket errors, timeouts and bad bodies. */
export async function runCase(
  c: BenchCase,
  origin: string,
  seconds: number,
): Promise<Measure & { problems: string[] }> {
  let responses = 0;
  let badSamples = 0;
  const problems: string[] = [];
  const note = (problem: string) => {
    badSamples++;
    if (problems.length < 3) problems.push(problem);
  };
  type Context = { check?: BenchRequest['check'] };
  const result = await autocannon({
    url: origin,
    connections: c.connections,
    duration: seconds,
    // autocannon's coordinated-omission correction under a rate assumes a 1 ms interval (it divides 1
    // by the per-second rate) and fills the histogram with made-up fast samples: off.
    ...(c.rate ? { overallRate: c.rate, ignoreCoordinatedOmission: true } : {}),
    // A GraphQL error inside a 200 is a failure too (autocannon's mismatches).
    ...(c.target === 'gateway'
      ? { verifyBody: (body: string | Buffer | undefined) => !String(body).includes('"errors"') }
      : {}),
    requests: [
      {
        setupRequest: (req, context) => {
          const r = c.next();
          (context as Context).check = r.check;
          return { ...req, method: r.method, path: r.path, headers: r.headers, body: r.body ?? '' };
        },
        onResponse: (status, body, context) => {
          if (responses++ % SAMPLE_EVERY !== 0 || status < 200 || status > 299) return;
          try {
            const problem = (context as Context).check?.(JSON.parse(body) as unknown);
            if (problem) note(problem);
          } catch {
            note(`unparsable body: ${body.slice(0, 200)}`);
          }
        },
      },
    ],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failed: result.non2xx + result.errors + (result.mismatches ?? 0) + badSamples,
    problems,
  };
}
