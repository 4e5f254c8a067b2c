import type { Logger } from 'pino';
import type { OperationWatcher } from './operations.js';
import { fixedKeysLogger } from '../observability/logging.js';
import { traceFields } from '../observability/tracing.js';

/**
 * The access log: one info line per operation (`msg: "graphql operation"`), its report's fields
 * (`OperationReport`) with the `traceId` and `spanId` of its span (the tracing watcher's) when
 * sampled; a subscription's when its stream ends, its duration the stream's lifetime.
 */
export function accessLog(logger: Logger): OperationWatcher {
  const access = fixedKeysLogger(logger);
  return {
    end(op, report) {
      // One object of primitives (and the error codes and call counts), in the order a child logger's
      // bindings would put them: requestId, then the trace ids when sampled. Its keys are all ours, so
      // the line skips the redaction walk (`fixedKeysLogger`).
      const trace = traceFields(op.span);
      access.info(trace ? Object.assign({ requestId: report.requestId }, trace, report) : report, 'graphql operation');
    },
  };
}
