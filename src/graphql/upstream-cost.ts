import {
  getArgumentValues,
  getNamedType,
  getOperationAST,
  getVariableValues,
  isInterfaceType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../context.js';
import type { ProviderName } from '../domain/batch.js';
import { fromGlobalId } from '../domain/global-id.js';
import type { Providers } from '../providers/index.js';
import { MAX_PAGES_PER_SOURCE } from './connections/merge.js';

type Args = Record<string, unknown>;

/** What a field that calls upstream may cost at worst, and how many parents its subtree resolves for. */
interface FieldCost {
  /** Upstream calls the field itself may make. */
  calls(args: Args, providers: Providers): number;
  /** How many objects its selection is resolved for (a list's length); 1 when absent. */
  fanOut?(args: Args, providers: Providers): number;
}

/** Distinct batches named by a list of global ids (two encodings of one id are one batch; bad ids cost nothing). */
export function distinctBatchIds(ids: unknown, providers?: Providers): number {
  const known = providers ? (Object.keys(providers) as ProviderName[]) : undefined;
  if (!Array.isArray(ids)) return 0;
  const seen = new Set<string>();
  for (const id of ids) {
    if (typeof id !== 'string') continue;
    try {
      const { provider, providerBatchId } = fromGlobalId(id, known);
      seen.add(`${provider}:${providerBatchId}`);
    } catch {
      // refused at its field before any upstream call
    }
  }
  return seen.size;
}

/**
 * A list field reads at most `MAX_PAGES_PER_SOURCE` upstream pages per provider that can list
 * (of `candidates`; every configured one when null).
 */
const listing = (candidates: readonly ProviderName[] | null): FieldCost => ({
  calls: (args, providers) => {
    const wanted = (args.filter as { providers?: ProviderName[] } | null | undefined)?.providers;
    const listing = (candidates ?? (Object.keys(providers) as ProviderName[])).filter(
      (p) => providers[p]?.capabilities.canList && (!wanted || wanted.includes(p)),
    );
    return listing.length * MAX_PAGES_PER_SOURCE;
  },
  fanOut: (args) => Number(args.first ?? args.last ?? 20),
});

/** Every field that calls upstream, by schema coordinate, with its worst case. */
export const UPSTREAM_COSTS: Readonly<Record<string, FieldCost>> = {
  'Query.node': { calls: () => 1 },
  'Query.batch': { calls: () => 1 },
  'Query.nodes': { calls: (a, p) => distinctBatchIds(a.ids, p), fanOut: (a, p) => distinctBatchIds(a.ids, p) },
  'Query.batches': listing(null),
  'Query.reachBatches': listing(['REACH']),
  'Query.factCheckBatches': listing(['FACT_CHECK']),
  'Subscription.batch': { calls: () => 1 },
  'Subscription.batches': { calls: (a, p) => distinctBatchIds(a.ids, p) },
  // Writes: the write and one read-back; a cancel may read the status first (Gameball).
  'Mutation.submitFactCheckBatch': { calls: () => 2 },
  'Mutation.uploadFactCheckFile': { calls: () => 1 },
  'Mutation.submitGameballBatch': { calls: () => 2 },
  'Mutation.submitReachResources': { calls: () => 2 },
  'Mutation.patchReachResources': { calls: () => 2 },
  'Mutation.deleteReachResources': { calls: () => 2 },
  'Mutation.cancelBatch': { calls: () => 3 },
  // One results page per parent; `last` without `before` must learn the total first: two.
  'FactCheckBatch.items': { calls: (a) => (a.last != null && a.before == null ? 2 : 1) },
};

/** A field on the way to an upstream-calling field, with what it needs to evaluate its cost. */
interface CostNode {
  coordinate: string;
  field: GraphQLField<unknown, unknown>;
  node: FieldNode;
  children: CostNode[];
}

/**
 * The document-only half, cached per parsed document: the tree of fields that lead to an
 * upstream-calling field, fragments inlined, fields merged by response key as execution does.
 * `@skip`/`@include` are ignored (the worst case).
 */
function compile(
  schema: GraphQLSchema,
  parent: GraphQLNamedType,
  set: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
): CostNode[] {
  const byKey = new Map<string, { type: GraphQLNamedType; nodes: FieldNode[] }>();
  const collect = (type: GraphQLNamedType, selections: SelectionSetNode, depth: number) => {
    if (depth > 50) return;
    for (const selection of selections.selections) {
      if (selection.kind === Kind.FIELD) {
        const key = `${type.name}.${selection.alias?.value ?? selection.name.value}`;
        const entry = byKey.get(key) ?? { type, nodes: [] };
        entry.nodes.push(selection);
        byKey.set(key, entry);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const on = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
        if (on) collect(on, selection.selectionSet, depth + 1);
      } else {
        const fragment = fragments.get(selection.name.value);
        const on = fragment ? schema.getType(fragment.typeCondition.name.value) : undefined;
        if (fragment && on) collect(on, fragment.selectionSet, depth + 1);
      }
    }
  };
  collect(parent, set, 0);
  const out: CostNode[] = [];
  for (const { type, nodes } of byKey.values()) {
    if (!isObjectType(type) && !isInterfaceType(type)) continue;
    const first = nodes[0]!;
    const field = type.getFields()[first.name.value];
    if (!field) continue;
    const named = getNamedType(field.type);
    let children: CostNode[] = [];
    for (const node of nodes)
      if (node.selectionSet) children = children.concat(compile(schema, named, node.selectionSet, fragments));
    const coordinate = `${type.name}.${field.name}`;
    if (UPSTREAM_COSTS[coordinate] || children.length > 0) out.push({ coordinate, field, node: first, children });
  }
  return out;
}

function evaluate(
  nodes: CostNode[],
  variables: Record<string, unknown>,
  providers: Providers,
  multiplier: number,
): number {
  let total = 0;
  for (const n of nodes) {
    const spec = UPSTREAM_COSTS[n.coordinate];
    let args: Args = {};
    if (spec) {
      try {
        args = getArgumentValues(n.field, n.node, variables);
      } catch {
        continue; // a bad argument fails at its field, before any upstream call
      }
    }
    const own = spec ? spec.calls(args, providers) : 0;
    const fan = spec?.fanOut ? Math.max(0, spec.fanOut(args, providers)) : 1;
    total += multiplier * own + evaluate(n.children, variables, providers, multiplier * fan);
  }
  return total;
}

const compiled = new WeakMap<
  DocumentNode,
  Map<string, { root: CostNode[]; operation: NonNullable<ReturnType<typeof getOperationAST>> } | null>
>();

/**
 * The worst-case number of upstream calls of one operation with its (coerced) variables;
 * null when the operation or its variables are invalid (execution reports that itself).
 */
export function estimateUpstreamCalls(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  rawVariables: Record<string, unknown> | null | undefined,
  providers: Providers,
): number | null {
  let perDocument = compiled.get(document);
  if (!perDocument) compiled.set(document, (perDocument = new Map()));
  const name = operationName ?? '';
  let entry = perDocument.get(name);
  if (entry === undefined) {
    const operation = getOperationAST(document, operationName);
    const rootType = operation ? schema.getRootType(operation.operation) : undefined;
    const fragments = new Map(
      document.definitions
        .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
        .map((d) => [d.name.value, d]),
    );
    entry =
      operation && rootType ? { operation, root: compile(schema, rootType, operation.selectionSet, fragments) } : null;
    perDocument.set(name, entry);
  }
  if (!entry) return null;
  if (entry.root.length === 0) return 0;
  const coerced = getVariableValues(schema, entry.operation.variableDefinitions ?? [], rawVariables ?? {});
  if (coerced.errors) return null;
  return evaluate(entry.root, coerced.coerced, providers, 1);
}

function tooCostly(estimate: number, limit: number) {
  return {
    errors: [
      createGraphQLError(
        `this request could make up to ${estimate} upstream calls; the limit is ${limit} ` +
          '(MAX_UPSTREAM_CALLS_PER_REQUEST). Ask for fewer batches per request.',
        { extensions: { code: 'QUERY_TOO_COMPLEX', estimate, limit } },
      ),
    ],
  };
}

/**
 * The per-request upstream budget, before and while a request runs: before execution (after
 * variables are known) the worst-case number of upstream calls is estimated and a request over
 * `MAX_UPSTREAM_CALLS_PER_REQUEST` is refused with `QUERY_TOO_COMPLEX`, before any upstream
 * call; a query's response deadline starts when it executes and ends with its result.
 */
export function useUpstreamBudget(): Plugin<GraphQLContext> {
  const check = (args: {
    schema: GraphQLSchema;
    document: DocumentNode;
    operationName?: string | null;
    variableValues?: Record<string, unknown> | null;
    contextValue: GraphQLContext;
  }) => {
    const ctx = args.contextValue;
    const estimate = estimateUpstreamCalls(
      args.schema,
      args.document,
      args.operationName,
      args.variableValues,
      ctx.gateway.providers,
    );
    return estimate !== null && estimate > ctx.budget.maxCalls ? tooCostly(estimate, ctx.budget.maxCalls) : null;
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const refused = check(args);
      if (refused) {
        setResultAndStopExecution(refused);
        return;
      }
      args.contextValue.budget.startDeadline();
      return { onExecuteDone: () => args.contextValue.budget.finish() };
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const refused = check(args);
      if (refused) setResultAndStopExecution(refused);
    },
  };
}
