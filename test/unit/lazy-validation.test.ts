import { PROVIDER_DEFINITIONS } from '../../src/providers/index.js';
import { envelop, useEngine, useSchema, type Plugin } from '@envelop/core';
import {
  BREAK,
  execute,
  parse,
  specifiedRules,
  subscribe,
  validate,
  type ASTVisitor,
  type GraphQLError,
  type ValidationRule,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { inParallel } from '../../src/graphql/lazy-validation.js';
import { createSchema } from '../../src/graphql/schema.js';
import { securityPlugins } from '../../src/graphql/security.js';
import { testConfig } from '../helpers/config.js';

const schema = createSchema(PROVIDER_DEFINITIONS);

/** The rules the gateway validates with: graphql-js's plus the ones its security plugins add. */
function gatewayRules(introspection: boolean): readonly ValidationRule[] {
  let rules: readonly ValidationRule[] = [];
  const capture: Plugin = {
    onValidate({ params }) {
      rules = params.rules ?? specifiedRules;
    },
  };
  const getEnveloped = envelop({
    plugins: [
      useEngine({ parse, validate, execute, subscribe, specifiedRules }),
      useSchema(schema),
      ...(securityPlugins({ ...testConfig().queries, introspection }) as Plugin[]),
      capture,
    ],
  });
  const { validate: run } = getEnveloped();
  run(schema, parse('{ __typename }'));
  return rules;
}

const described = (errors: readonly GraphQLError[]) =>
  errors.map((e) => ({ message: e.message, locations: e.locations, code: e.extensions?.code }));

const DOCUMENTS: Record<string, string> = {
  valid: 'query One($id: String!) { batch(provider: REACH, providerBatchId: $id) { id status progress { percent } } }',
  'valid with fragments': `query Two { nodes(ids: ["a", "b"]) { ...B } providers { name circuit } }
    fragment B on Batch { id status ... on FactCheckBatch { name } }`,
  'unknown field and argument': '{ batch(provider: REACH, providerBatchId: "x", nope: 1) { id colour } }',
  'wrong enum and type': '{ batch(provider: NOWHERE, providerBatchId: 5) { id } }',
  'unused and undefined variables':
    'query V($unused: Int) { batch(provider: REACH, providerBatchId: $missing) { id } }',
  'fragment cycle and unused fragment': `{ providers { ...A } }
    fragment A on ProviderInfo { ...B }
    fragment B on ProviderInfo { ...A }
    fragment Unused on Batch { id }`,
  'conflicting fields': '{ providers { name: circuit name } }',
  'missing selection and leaf selection': '{ batch(provider: REACH, providerBatchId: "x") { progress status { x } } }',
  'duplicate operation names': 'query A { providers { name } } query A { providers { name } }',
  'unknown directive and duplicates': '{ providers @nope { name @skip(if: true) @skip(if: false) } }',
  'too deep': `{ batches { edges { node { ... on FactCheckBatch { items { edges { node { id } } } } } } } }`,
  'too many aliases': `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: providers { name }`).join(' ')} }`,
  introspection: '{ __schema { types { name } } }',
  'subscription with two roots': 'subscription S { a: batch(id: "x") { id } b: batch(id: "y") { id } }',
};

describe('lazy parallel validation', () => {
  for (const introspection of [true, false]) {
    const rules = gatewayRules(introspection);
    const mode = introspection ? 'on' : 'off';
    it(`gives graphql-js's errors one for one, with the ${rules.length} rules (introspection ${mode})`, () => {
      expect(rules.length).toBeGreaterThan(specifiedRules.length);
      let invalid = 0;
      for (const [name, text] of Object.entries(DOCUMENTS)) {
        const document = parse(text);
        const expected = described(validate(schema, document, rules));
        const actual = described(validate(schema, document, [inParallel(rules)]));
        expect({ name, errors: actual }).toEqual({ name, errors: expected });
        if (expected.length > 0) invalid++;
      }
      // The corpus exercises the rules: most documents are refused.
      expect(invalid).toBeGreaterThanOrEqual(Object.keys(DOCUMENTS).length - 3);
    });
  }

  it('keeps a rule that skips a subtree or breaks out skipping only that rule', () => {
    const seen: string[] = [];
    const skipsProviders: ValidationRule = () =>
      ({
        Field: {
          enter(node) {
            seen.push(`skip:${node.name.value}`);
            return node.name.value === 'providers' ? false : undefined;
          },
          leave(node) {
            seen.push(`skip-leave:${node.name.value}`);
          },
        },
      }) as ASTVisitor;
    const breaksAtName: ValidationRule = () =>
      ({
        Field(node) {
          seen.push(`break:${node.name.value}`);
          return node.name.value === 'name' ? BREAK : undefined;
        },
      }) as ASTVisitor;
    const document = parse('{ providers { name circuit } batch(provider: REACH, providerBatchId: "x") { id } }');
    validate(schema, document, [skipsProviders, breaksAtName]);
    const direct = seen.splice(0);
    validate(schema, document, [inParallel([skipsProviders, breaksAtName])]);
    expect(seen).toEqual(direct);
    // A skipped subtree's own leave is not called; the rule resumes after it.
    expect(direct).not.toContain('skip-leave:providers');
    expect(direct).not.toContain('skip:name');
    expect(direct).toContain('skip:batch');
    expect(direct).not.toContain('break:batch');
  });
});
