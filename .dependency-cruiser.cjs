/**
 * Import checks for `npm test` (`npm run cycles`, dependency-cruiser; type-only imports count too): no cycles,
 * imports that flow one way through the layers below, no provider folder in the core, no simulator in production.
 * docs/architecture.md ("Layers") explains the order.
 */

/**
 * The layers, bottom first. A module may import its own layer and the layers below it, never one above.
 * Each is a path pattern; a file in none of them (tests, scripts) is not constrained.
 */
const LAYERS = [
  ['names', '^src/providers/names\\.ts$'],
  ['domain', '^src/domain/'],
  ['config', '^src/config/'],
  ['base', '^src/(redis|observability)/'],
  ['upstream', '^src/upstream/'],
  ['services', '^src/(live|identity|writes|ledger|notifications)/'],
  ['graphql', '^src/graphql/'],
  ['edge', '^src/(webhooks|http)/'],
  // A provider's folder (not its simulator) and the definition type it implements: they bring SDL and
  // resolvers, so they sit above graphql/ and the edge (a webhook parser implements webhooks/' port).
  ['providers', '^src/providers/(definition\\.ts$|(?!names\\.ts$|index\\.ts$)[^/]+/(?!simulator/))'],
  ['provider-list', '^src/providers/index\\.ts$'],
  ['composition', '^src/[^/]+\\.ts$'],
  // Tooling, the demo and every simulator: never reached from main.ts (the rule below).
  ['dev', '^src/(dev/|providers/[^/]+/simulator/)'],
];

/**
 * The arrows allowed to run back up, each with its reason (at most two).
 * 1. The generated resolver types (graphql-codegen) map each provider's GraphQL type to its domain type, so
 *    they import every provider's `mappers.ts` (types only; nothing runs). The core's resolvers import
 *    those types, never a provider folder.
 */
const EXCEPTIONS = [
  { layer: 'graphql', from: '^src/graphql/__generated__/', to: '^src/providers/[^/]+/mappers\\.ts$' },
];

/** The rule keeping `layer` (a path pattern) from every layer above it, but for `allowed` targets. */
const rule = (name, rank, from, allowed = []) => ({
  name: `layer-${name}`,
  severity: 'error',
  comment: `${name} imports only its own layer and those below it (${LAYERS.slice(0, rank + 1)
    .map(([n]) => n)
    .join(' < ')}); see docs/architecture.md`,
  from,
  to: { path: LAYERS.slice(rank + 1).map(([, path]) => path), ...(allowed.length ? { pathNot: allowed } : {}) },
});

const upward = LAYERS.slice(0, -1).flatMap(([name, path], rank) => {
  const own = EXCEPTIONS.filter((e) => e.layer === name);
  return [
    rule(name, rank, { path, ...(own.length ? { pathNot: own.map((e) => e.from) } : {}) }),
    ...own.map((e) => rule(`${name}-exception`, rank, { path: e.from }, [e.to])),
  ];
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'The upstream stack runs one way (stack.ts: budget → policy → raw undici), and nothing imports back up.',
      from: {},
      to: { circular: true },
    },
    ...upward,
    {
      name: 'core-without-providers',
      severity: 'error',
      comment:
        'The core never imports a provider folder: it learns providers from their definitions, passed in by the ' +
        'composition root; only the list (providers/index.ts) imports them.',
      from: {
        path: '^src/(domain|config|redis|observability|upstream|live|identity|writes|ledger|graphql|webhooks|http)/',
      },
      to: {
        path: '^src/providers/(?!names\\.ts$)',
        pathNot: EXCEPTIONS.map((e) => e.to),
      },
    },
    {
      name: 'no-simulators-in-production',
      severity: 'error',
      comment:
        'Production start-up (src/main.ts) never reaches a simulator, directly or through another module: ' +
        "neither the shared kit and dev tooling (src/dev/) nor a provider's own simulator (src/providers/<name>/simulator/).",
      from: { path: '^src/main\\.ts$' },
      to: { path: '^src/(dev/|providers/[^/]+/simulator/)', reachable: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Generated OpenAPI wire types are leaves; the generated resolver types are cruised (exception 1).
    exclude: { path: 'src/providers/[^/]+/__generated__/|dashboard/src/__generated__/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js'] },
  },
};
