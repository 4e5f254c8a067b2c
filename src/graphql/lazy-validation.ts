import {
  BREAK,
  getEnterLeaveForKind,
  specifiedRules,
  type ASTNode,
  type ASTVisitFn,
  type ASTVisitor,
  type ValidationRule,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

type VisitFn = ASTVisitFn<ASTNode> | undefined;
/** The rules' enter and leave functions for one kind of node, or null when no rule visits that kind. */
type KindVisitors = { enter: VisitFn[]; leave: VisitFn[] } | null;

/**
 * graphql-js's `visitInParallel`, with the same skip and `BREAK` semantics, but resolving each rule's
 * functions per node kind the first time the document holds a node of that kind. graphql-js
 * resolves them for all ~45 kinds up front, for every rule, on every validation: with the ~35 rules
 * batchql validates with (graphql-js's own and graphql-armor's), that setup alone was 12 % of the
 * gateway's CPU for queries whose text changes per request (docs/benchmarks.md, "CPU per request"). A query
 * holds ten kinds or so.
 */
function lazyParallelVisitor(visitors: readonly ASTVisitor[]): ASTVisitor {
  const count = visitors.length;
  const skipping: unknown[] = new Array<unknown>(count).fill(null);
  const byKind = new Map<string, KindVisitors>();
  const visitorsOf = (kind: string): KindVisitors => {
    let found = byKind.get(kind);
    if (found === undefined) {
      const enter: VisitFn[] = new Array<VisitFn>(count);
      const leave: VisitFn[] = new Array<VisitFn>(count);
      let any = false;
      for (let i = 0; i < count; i++) {
        const fns = getEnterLeaveForKind(visitors[i]!, kind as ASTNode['kind']);
        enter[i] = fns.enter as VisitFn;
        leave[i] = fns.leave as VisitFn;
        any ||= fns.enter != null || fns.leave != null;
      }
      found = any ? { enter, leave } : null;
      byKind.set(kind, found);
    }
    return found;
  };
  return {
    enter(...args) {
      const node = args[0];
      const fns = visitorsOf(node.kind);
      if (!fns) return undefined;
      for (let i = 0; i < count; i++) {
        if (skipping[i] !== null) continue;
        const result: unknown = fns.enter[i]?.apply(visitors[i], args);
        if (result === false) skipping[i] = node;
        else if (result === BREAK) skipping[i] = BREAK;
        else if (result !== undefined) return result;
      }
      return undefined;
    },
    leave(...args) {
      const node = args[0];
      const fns = visitorsOf(node.kind);
      if (!fns) return undefined;
      for (let i = 0; i < count; i++) {
        if (skipping[i] === null) {
          const result: unknown = fns.leave[i]?.apply(visitors[i], args);
          if (result === BREAK) skipping[i] = BREAK;
          else if (result !== undefined && result !== false) return result;
        } else if (skipping[i] === node) skipping[i] = null;
      }
      return undefined;
    },
  } as ASTVisitor;
}

/** One validation rule that runs `rules` in parallel through `lazyParallelVisitor`. */
export function inParallel(rules: readonly ValidationRule[]): ValidationRule {
  return (context) => lazyParallelVisitor(rules.map((rule) => rule(context)));
}

/**
 * Validates with every rule (graphql-js's and the ones plugins add) as before, through one merged
 * rule, so graphql-js sets up one visitor instead of one per rule (`lazyParallelVisitor`). The
 * answer is the same, error for error (test/unit/lazy-validation.test.ts). yoga's validation cache
 * still answers repeated documents before this runs.
 */
export function useLazyParallelValidation(): Plugin {
  return {
    onValidate({ validateFn, setValidationFn }) {
      setValidationFn((schema, document, rules, ...rest) =>
        validateFn(schema, document, [inParallel(rules ?? specifiedRules)], ...rest),
      );
    },
  };
}
