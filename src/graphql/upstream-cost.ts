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
  visit,
} from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { scopeOf, type GraphQLContext } from './context.js';
import type { ProviderName } from '../domain/batch.js';
import type { Providers } from '../domain/provider.js';
import type { Args, ByProvider, CostTable, Free } from './cost-table.js';

export { costTable, type CostTable } from './cost-table.js';

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
  costs: CostTable,
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
      if (node.selectionSet) children = children.concat(compile(costs, schema, named, node.selectionSet, fragments));
    const coordinate = `${type.name}.${field.name}`;
    if (costs[coordinate] || children.length > 0) out.push({ coordinate, field, node: first, children });
  }
  return out;
}

/** The worst case of an operation: all its upstream calls, and those whose provider the query names. */
interface UpstreamEstimate {
  total: number;
  byProvider: ByProvider;
}

function evaluate(
  costs: CostTable,
  nodes: CostNode[],
  variables: Record<string, unknown>,
  providers: Providers,
  multiplier: number,
  byProvider: ByProvider,
  free: Free | undefined,
): number {
  let total = 0;
  for (const n of nodes) {
    const spec = costs[n.coordinate];
    let args: Args = {};
    if (spec) {
      try {
        args = getArgumentValues(n.field, n.node, variables);
      } catch {
        continue; // a bad argument fails at its field, before any upstream call
      }
    }
    // A read asked `fresh` always calls.
    const freeHere = args.fresh === true ? undefined : free;
    const own = spec ? spec.calls(args, providers, freeHere) : 0;
    for (const [provider, calls] of Object.entries(spec?.by?.(args, providers, freeHere) ?? {}) as [
      ProviderName,
      number,
    ][])
      byProvider[provider] = (byProvider[provider] ?? 0) + multiplier * calls;
    const fan = spec?.fanOut ? Math.max(0, spec.fanOut(args, providers)) : 1;
    total += multiplier * own + evaluate(costs, n.children, variables, providers, multiplier * fan, byProvider, free);
  }
  return total;
}

type Compiled = Map<string, { root: CostNode[]; operation: NonNullable<ReturnType<typeof getOperationAST>> } | null>;
/** Compiled documents, per cost table (one per gateway). */
const compiledByTable = new WeakMap<CostTable, WeakMap<DocumentNode, Compiled>>();

/**
 * The worst-case number of upstream calls of one operation with its (coerced) variables;
 * null when the operation or its variables are invalid (execution reports that itself).
 */
function estimateUpstreamCalls(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  rawVariables: Record<string, unknown> | null | undefined,
  providers: Providers,
  costs: CostTable,
  free?: Free,
): UpstreamEstimate | null {
  let compiled = compiledByTable.get(costs);
  if (!compiled) compiledByTable.set(costs, (compiled = new WeakMap()));
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
      operation && rootType
        ? { operation, root: compile(costs, schema, rootType, operation.selectionSet, fragments) }
        : null;
    perDocument.set(name, entry);
  }
  if (!entry) return null;
  if (entry.root.length === 0) return { total: 0, byProvider: {} };
  const coerced = getVariableValues(schema, entry.operation.variableDefinitions ?? [], rawVariables ?? {});
  if (coerced.errors) return null;
  const byProvider: ByProvider = {};
  const total = evaluate(costs, entry.root, coerced.coerced, providers, 1, byProvider, free);
  // Subscriptions read through the poll hub's share of each budget, not a client's.
  return { total, byProvider: entry.operation.operation === 'subscription' ? {} : byProvider };
}

/**
 * Which batch reads of this operation the ledger answers without an upstream call: a finished batch whose
 * reading, in this replica's memory, has every field the document selects (anywhere: the check is by name).
 */
function freeReads(ctx: GraphQLContext, document: DocumentNode): Free | undefined {
  const ledger = ctx.gateway.ledger?.ledger;
  if (!ledger) return undefined;
  return (provider, providerBatchId) => {
    if (!ctx.gateway.providers[provider]) return false;
    const stored = ledger.remembered({ provider, scope: scopeOf(ctx, provider), providerBatchId });
    return stored !== undefined && stored.terminal && !documentSelectsAny(document, stored.lacks);
  };
}

const fieldNames = new WeakMap<DocumentNode, Set<string>>();

/** True when the document selects a field of one of these names anywhere. */
function documentSelectsAny(document: DocumentNode, fields: readonly string[]): boolean {
  if (fields.length === 0) return false;
  let names = fieldNames.get(document);
  if (!names) {
    const found = new Set<string>();
    visit(document, { Field: (node) => void found.add(node.name.value) });
    fieldNames.set(document, (names = found));
  }
  return fields.some((f) => names.has(f));
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

function overProviderBudget(provider: ProviderName, estimate: number, capacity: number) {
  return {
    errors: [
      createGraphQLError(
        `this request could make up to ${estimate} calls to ${provider}, more than one request can get from ` +
          `${provider}'s request budget before its deadline (${capacity}: the interactive part of its quota, ` +
          'UPSTREAM_INTERACTIVE_SHARE). Ask for fewer of its batches per request.',
        { extensions: { code: 'PROVIDER_BUDGET_EXCEEDED', provider, estimate, limit: capacity } },
      ),
    ],
  };
}

/**
 * The per-request upstream budget, before and while a request runs: before execution (after
 * variables are known) the worst-case number of upstream calls is estimated and a request over
 * `MAX_UPSTREAM_CALLS_PER_REQUEST` is refused with `QUERY_TOO_COMPLEX`, and one whose calls to some provider
 * could not fit in what one request can get from that provider's budget with `PROVIDER_BUDGET_EXCEEDED`,
 * before any upstream call; a query's response deadline starts when it executes and ends with its result.
 */
export function useUpstreamBudget(costs: CostTable): Plugin<GraphQLContext> {
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
      costs,
      freeReads(ctx, args.document),
    );
    if (estimate === null) return null;
    if (estimate.total > ctx.budget.maxCalls) return tooCostly(estimate.total, ctx.budget.maxCalls);
    for (const [provider, calls] of Object.entries(estimate.byProvider) as [ProviderName, number][]) {
      const capacity =
        ctx.gateway.providers[provider]?.interactiveCapacity?.(ctx.budget.deadlineMs) ?? Number.POSITIVE_INFINITY;
      if (calls > capacity) return overProviderBudget(provider, calls, capacity);
    }
    return null;
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
