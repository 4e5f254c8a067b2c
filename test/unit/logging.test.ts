import { describe, expect, it } from 'vitest';
import { createLogger, fixedKeysLogger } from '../../src/observability/logging.js';

/** A logger whose lines are kept, with the time field fixed so two lines compare. */
function capture() {
  const lines: string[] = [];
  const logger = createLogger(
    'info',
    { write: (line: string) => void lines.push(line.replace(/"time":\d+/, '"time":0')) },
    false,
  );
  return { logger, lines };
}

describe('fixedKeysLogger', () => {
  it('writes an access line byte for byte as the redacting logger does', () => {
    const { logger, lines } = capture();
    const line = {
      requestId: 'r-1',
      operationName: 'OneBatch',
      operationType: 'query',
      transport: 'http',
      durationMs: 1.5,
      status: 200,
      errorCodes: ['NOT_FOUND'],
      upstreamCalls: { REACH: 1 },
    };
    logger.info(line, 'graphql operation');
    fixedKeysLogger(logger).info(line, 'graphql operation');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe(lines[0]);
  });

  it('leaves the logger it derives from redacting', () => {
    const { logger, lines } = capture();
    fixedKeysLogger(logger);
    logger.info({ authorization: 'Bearer secret-1', headers: { authorization: 'secret-2' } }, 'request');
    expect(lines[0]).not.toContain('secret-1');
    expect(lines[0]).not.toContain('secret-2');
    expect(lines[0]).toContain('[redacted]');
  });
});
