/** Import checks for `npm test` (dependency-cruiser): no cycles (type-only imports count too), no simulator in production. */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'The upstream stack runs one way (stack.ts: budget → policy → raw undici), and nothing imports back up.',
      from: {},
      to: { circular: true },
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
    exclude: { path: '__generated__' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js'] },
  },
};
