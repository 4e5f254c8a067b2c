import type { Logger } from 'pino';
import type { Metrics } from './metrics.js';

/**
 * The last line of defence, not a fix: a promise rejection nobody handled is logged (one JSON
 * line with the error's code; the stack only at debug) and counted in
 * `batchql_unhandled_rejections_total`, and the process keeps serving instead of exiting with
 * every stream on it. Each one counted is a bug to fix where it was dropped.
 */
export function installSafetyNet(logger: Logger, metrics: Pick<Metrics, 'unhandledRejection'>): () => void {
  const onRejection = (reason: unknown) => {
    metrics.unhandledRejection();
    const error = reason as { code?: unknown; name?: unknown; message?: unknown; stack?: unknown } | null;
    logger.error(
      {
        code: typeof error?.code === 'string' ? error.code : undefined,
        type: typeof error?.name === 'string' ? error.name : typeof reason,
        ...(logger.isLevelEnabled('debug') ? { message: error?.message, stack: error?.stack } : {}),
      },
      'unhandled promise rejection (survived; please report it)',
    );
  };
  process.on('unhandledRejection', onRejection);
  return () => process.off('unhandledRejection', onRejection);
}
