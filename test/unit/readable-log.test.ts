import { expect, it } from 'vitest';
import { formatLogLine, readableLog } from '../../src/dev/readable-log.js';
import { createLogger } from '../../src/observability/logging.js';

/** The demo's log (`readableLog`): the gateway's pino lines, for people. */
it('writes each line as time, level, message and fields, redacted as the JSON line is', () => {
  const out: string[] = [];
  const logger = createLogger('info', readableLog({ write: (text) => out.push(text) }), false);
  logger.warn({ provider: 'FACT_CHECK', waitMs: 1200, authorization: 'Bearer secret-1' }, 'budget: waiting');
  logger.info({ detail: { a: 1 }, note: 'two words' }, 'graphql operation');
  logger.debug('not at info');
  expect(out).toHaveLength(2);
  expect(out[0]).toMatch(
    /^\d\d:\d\d:\d\d WARN {2}budget: waiting provider=FACT_CHECK waitMs=1200 authorization=\[redacted\]\n$/,
  );
  expect(out[1]).toMatch(/^\d\d:\d\d:\d\d INFO {2}graphql operation detail=\{"a":1\} note="two words"\n$/);
});

it('passes on what is not a JSON object as it is', () => {
  expect(formatLogLine('plain words\n')).toBe('plain words\n');
  expect(formatLogLine('[1,2]\n')).toBe('[1,2]\n');
});
