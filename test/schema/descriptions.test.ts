/**
 * Every part of the served schema is described (issue 28): the schema itself, every type, field, argument, enum
 * value and input field, with text that says more than its name, and `DateTime` with its `@specifiedBy`. Fields
 * of `Batch`'s implementations take the interface's description at build when they have none (`createSchema`).
 * graphql-eslint's `require-description` holds the printed `schema.graphql` to the same in `npm run lint`; the
 * last test makes sure that rule is on and fails on a planted missing description.
 */
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import {
  buildSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
  isScalarType,
  isSpecifiedScalarType,
  type GraphQLSchema,
} from 'graphql';
import { expect, it } from 'vitest';
import { createSchema } from '../../src/graphql/schema.js';
import { PROVIDER_DEFINITIONS } from '../../src/providers/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The words of a name: `providerBatchId` and `PROVIDER_BATCH_ID` are "provider batch id". */
const words = (text: string) =>
  text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);

/** A description says something: at least three words, and not just its name's words again. */
function trivial(name: string, description: string | null | undefined): boolean {
  if (!description?.trim()) return true;
  const said = words(description);
  return said.length < 3 || said.join(' ') === words(name).join(' ');
}

/** The schema coordinates (`Type`, `Type.field`, `Type.field(arg:)`, `Enum.VALUE`) without a real description. */
function undescribed(schema: GraphQLSchema): string[] {
  const missing: string[] = [];
  if (trivial('schema', schema.description)) missing.push('schema');
  for (const type of Object.values(schema.getTypeMap())) {
    if (isIntrospectionType(type) || isSpecifiedScalarType(type)) continue;
    if (trivial(type.name, type.description)) missing.push(type.name);
    if (isObjectType(type) || isInterfaceType(type))
      for (const field of Object.values(type.getFields())) {
        if (trivial(field.name, field.description)) missing.push(`${type.name}.${field.name}`);
        for (const arg of field.args)
          if (trivial(arg.name, arg.description)) missing.push(`${type.name}.${field.name}(${arg.name}:)`);
      }
    if (isInputObjectType(type))
      for (const field of Object.values(type.getFields()))
        if (trivial(field.name, field.description)) missing.push(`${type.name}.${field.name}`);
    if (isEnumType(type))
      for (const value of type.getValues())
        if (trivial(value.name, value.description)) missing.push(`${type.name}.${value.name}`);
  }
  return missing;
}

it('describes the schema, every type, field, argument, enum value and input field', () => {
  expect(undescribed(createSchema(PROVIDER_DEFINITIONS))).toEqual([]);
});

it('gives DateTime its specification', () => {
  const dateTime = createSchema(PROVIDER_DEFINITIONS).getType('DateTime');
  expect(isScalarType(dateTime) && dateTime.specifiedByURL).toBe('https://scalars.graphql.org/andimarek/date-time');
});

it('lets the fields of an implementing type read as the interface says, unless they say more', () => {
  const schema = createSchema(PROVIDER_DEFINITIONS);
  const field = (type: string, name: string) => {
    const t = schema.getType(type);
    return isObjectType(t) || isInterfaceType(t) ? t.getFields()[name]?.description : undefined;
  };
  expect(field('ReachBatch', 'status')).toBe(field('Batch', 'status'));
  expect(field('GameballBatch', 'id')).toBe(field('Node', 'id'));
  expect(field('FactCheckBatch', 'staleReason')).not.toBe(field('Batch', 'staleReason'));
});

it('finds a planted missing or trivial description', () => {
  const planted = buildSchema(`
    "The planted schema's query root, with enough words."
    type Query {
      "Answers a described number."
      described(id: ID): Int
      undescribed: Int
      "Provider batch id"
      providerBatchId: String
    }
  `);
  expect(undescribed(planted)).toEqual([
    'schema',
    'Query.described(id:)',
    'Query.undescribed',
    'Query.providerBatchId',
  ]);
});

it("fails `npm run lint` (graphql-eslint's require-description) on a planted missing description", async () => {
  const eslint = new ESLint({ cwd: ROOT });
  const sdl = '"""A type with one field."""\ntype Planted {\n  """The described field."""\n  a: Int\n  b: Int\n}\n';
  const [result] = await eslint.lintText(sdl, { filePath: `${ROOT}schema.graphql` });
  expect(result!.messages.map((m) => [m.ruleId, m.line])).toEqual([['@graphql-eslint/require-description', 5]]);
});
