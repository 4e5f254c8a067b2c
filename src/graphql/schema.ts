import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { createResolvers } from './resolvers/index.js';
import { batchTypeName } from '../domain/global-id.js';
import { PROVIDER_DEFINITIONS, type AnyProviderDefinition } from '../providers/index.js';

/** The folder holding schema/**.graphql. */
export const SCHEMA_DIR = fileURLToPath(new URL('../../schema/', import.meta.url));

/** Reads every .graphql file under schema/, sorted, so the SDL is the same on every machine. */
export function loadTypeDefs(dir = SCHEMA_DIR): string[] {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.isDirectory()) walk(join(d, entry.name));
      else if (entry.name.endsWith('.graphql')) files.push(join(d, entry.name));
    }
  };
  walk(dir);
  return files.map((f) => readFileSync(f, 'utf8'));
}

/**
 * Builds the executable schema from the SDL files, each provider's own SDL (test fixtures) and
 * the resolvers generated for the providers.
 */
export function createSchema(definitions: readonly AnyProviderDefinition[] = PROVIDER_DEFINITIONS): GraphQLSchema {
  for (const d of definitions)
    if (d.typeName !== batchTypeName(d.name))
      throw new TypeError(`provider ${d.name}: typeName must be ${batchTypeName(d.name)} (global IDs depend on it)`);
  return makeExecutableSchema({
    typeDefs: [...loadTypeDefs(), ...definitions.flatMap((d) => (d.schema ? [d.schema.typeDefs] : []))],
    resolvers: createResolvers(definitions),
    resolverValidationOptions: { requireResolversToMatchSchema: 'error' },
  });
}
