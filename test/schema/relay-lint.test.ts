/** Lints every SDL file under schema/ with graphql-eslint's Relay rules (connections, edges, PageInfo, arguments). */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import graphqlPlugin, { parser } from '@graphql-eslint/eslint-plugin';
import { ESLint, type Linter } from 'eslint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const schemaDir = path.join(root, 'schema');

const relayRules: Linter.RulesRecord = {
  '@graphql-eslint/relay-connection-types': 'error',
  // Edge nodes here are objects or the Batch interface, and not all implement Node (e.g. FactCheckItem).
  // listTypeCanWrapOnlyEdgeType is off: it would forbid every non-edge list, even Relay's own `nodes: [Node]!`.
  '@graphql-eslint/relay-edge-types': [
    'error',
    { withEdgeSuffix: true, shouldImplementNode: false, listTypeCanWrapOnlyEdgeType: false },
  ],
  '@graphql-eslint/relay-page-info': 'error',
  '@graphql-eslint/relay-arguments': ['error', { includeBoth: true }],
};

/** An ESLint instance that ignores any on-disk config and runs only the Relay rules on .graphql files. */
function relayEslint(parserOptions: Linter.ParserOptions): ESLint {
  return new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['**/*.graphql'],
        languageOptions: { parser, parserOptions },
        // The plugin's v4 rule typings do not match ESLint 9's Plugin type, though they work at runtime.
        plugins: { '@graphql-eslint': graphqlPlugin as unknown as ESLint.Plugin },
        rules: relayRules,
      },
    ],
  });
}

/** One line per message, so a failure shows what is wrong and where. */
function describeMessages(results: ESLint.LintResult[]): string[] {
  return results.flatMap((r) =>
    r.messages.map(
      (m) => `${m.ruleId ?? '(parse)'} ${path.relative(root, r.filePath)}:${m.line}:${m.column} ${m.message}`,
    ),
  );
}

// The plugin caches the loaded graphql-config, edge types and the PageInfo check in module state
// unless NODE_ENV is 'test' (vitest's default); pin it so the two schemas below cannot leak into each other.
const previousNodeEnv = process.env.NODE_ENV;
beforeAll(() => {
  process.env.NODE_ENV = 'test';
});
afterAll(() => {
  if (previousNodeEnv === undefined) delete process.env.NODE_ENV;
  else process.env.NODE_ENV = previousNodeEnv;
});

describe('Relay lint of the SDL', () => {
  it('reports nothing for the SDL files under schema/', async () => {
    const sdlFiles = readdirSync(schemaDir, { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.graphql'),
    );
    const eslint = relayEslint({ graphQLConfig: { schema: path.join(schemaDir, '**/*.graphql') } });
    const results = await eslint.lintFiles(['schema/**/*.graphql']);

    // Every SDL file was linted (the schema is split across files that `extend type Query`).
    expect(results.map((r) => path.relative(schemaDir, r.filePath)).sort()).toEqual(sdlFiles.sort());
    expect(describeMessages(results)).toEqual([]);
  });

  it('flags a broken connection (negative control: the rules really run)', async () => {
    const broken = /* GraphQL */ `
      type Query {
        things(first: Int): ThingConnection!
      }
      type ThingConnection {
        edges: [ThingEdge]
      }
      type ThingEdge {
        node: String
      }
      type PageInfo {
        hasNextPage: Boolean
      }
    `;
    const eslint = relayEslint({ schemaSdl: broken });
    const results = await eslint.lintText(broken, { filePath: path.join(root, 'test/schema/broken-relay.graphql') });
    const ruleIds = new Set(results.flatMap((r) => r.messages.map((m) => m.ruleId)));

    expect(results[0]?.fatalErrorCount, describeMessages(results).join('\n')).toBe(0);
    for (const rule of ['relay-connection-types', 'relay-edge-types', 'relay-page-info', 'relay-arguments']) {
      expect(ruleIds, describeMessages(results).join('\n')).toContain(`@graphql-eslint/${rule}`);
    }
  });
});
