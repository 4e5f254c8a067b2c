import type { Span } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { GraphQLContext } from './context.js';
import type { OperationWatcher } from './operations.js';
import { noteErrorScope, type RequestScope } from '../observability/request-scope.js';
import { traceFields } from '../observability/tracing.js';

/**
 * An operation's scope, which its upstream calls and execution errors carry. Its logger (the
 * context's, with `traceId` and `spanId` when the span is sampled) is made on first use: most
 * operations log nothing but their access line. A class, not an object literal with a getter: V8
 * keeps a literal with an accessor as a hash table, about 250 bytes more for every live subscription.
 */
class OperationScope implements RequestScope {
  readonly requestId: string;
  private logger: Logger | undefined;
  constructor(
    private readonly ctx: GraphQLContext,
    readonly span: Span | undefined,
  ) {
    this.requestId = ctx.requestId;
  }
  get log(): Logger {
    if (!this.logger) {
      const fields = traceFields(this.span);
      this.logger = fields ? this.ctx.log.child(fields) : this.ctx.log;
    }
    return this.logger;
  }
}

/**
 * Each operation's scope (its logger, with `requestId`, and its span): its request's budget is asked
 * to give it to the upstream calls of the operation as it executes (`RequestBudget.bindScope`), and
 * every error of its results is noted as its own (`noteErrorScope`), for yoga logs the errors it
 * masks after these hooks, with the operation's logger. After the tracing watcher, whose span it carries.
 */
export function operationScope(): OperationWatcher {
  return {
    execute(op, ctx) {
      op.scope = new OperationScope(ctx, op.span);
      ctx.budget.bindScope(op.scope);
    },
    result(op, result) {
      const scope = op.scope;
      if (scope) for (const error of result.errors ?? []) noteErrorScope(error, scope);
    },
  };
}
