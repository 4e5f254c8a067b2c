import type { ExecutionResult, GraphQLError, GraphQLResolveInfo } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { maskError } from './errors.js';

type Path = GraphQLResolveInfo['path'];

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

/** A non-fatal remark about a response, returned under `extensions.warnings`. */
export interface Warning {
  code: string;
  provider?: string;
  message: string;
  path?: (string | number)[];
}

/**
 * Errors and warnings a resolver adds beside its data: a merged list keeps the healthy
 * providers' edges and reports the failed provider as an error at the list's path.
 */
export interface ResponseNotes {
  warn(warning: Omit<Warning, 'path'> & { path?: Path }): void;
  error(error: unknown, path: Path): void;
  readonly warnings: Warning[];
  readonly errors: GraphQLError[];
}

/** Fresh notes for one request. */
export function createNotes(): ResponseNotes {
  const warnings: Warning[] = [];
  const errors: GraphQLError[] = [];
  return {
    warnings,
    errors,
    warn({ path, ...warning }) {
      const entry: Warning = path ? { ...warning, path: pathToArray(path) } : warning;
      if (!warnings.some((w) => JSON.stringify(w) === JSON.stringify(entry))) warnings.push(entry);
    },
    error(error, path) {
      const located = createGraphQLError(error instanceof Error ? error.message : String(error), {
        path: pathToArray(path),
        originalError: error instanceof Error ? error : undefined,
      });
      // Masked here, like every other error, so no upstream detail leaks through this side door.
      errors.push(maskError(located, 'Unexpected error.', false) as GraphQLError);
    },
  };
}

function pathToArray(path: Path): (string | number)[] {
  const out: (string | number)[] = [];
  for (let p: Path | undefined = path; p; p = p.prev) out.unshift(p.key);
  return out;
}

/** Appends the notes of the request's context to its execution result. */
export function useResponseNotes(): Plugin<{ notes?: ResponseNotes }> {
  return {
    onExecute({ args }) {
      const notes = (args.contextValue as { notes?: ResponseNotes }).notes;
      return {
        onExecuteDone({ result, setResult }) {
          if (!notes || isAsyncIterable(result) || (notes.errors.length === 0 && notes.warnings.length === 0)) return;
          const single = result as ExecutionResult;
          setResult({
            ...single,
            ...(notes.errors.length > 0 ? { errors: [...(single.errors ?? []), ...notes.errors] } : {}),
            ...(notes.warnings.length > 0 ? { extensions: { ...single.extensions, warnings: notes.warnings } } : {}),
          });
        },
      };
    },
  };
}
