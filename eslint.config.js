// ESLint 9 flat config for the TypeScript sources (typescript-eslint 8, syntax-only: no type information).
//
// The priority is `max-len` at 120 columns (prettier's printWidth). It covers code, strings, template literals,
// regexes and comments alike; only lines holding a URL are exempt.
//
// On top of that, typescript-eslint's `recommended` (non-type-checked) set, with three adjustments that keep the
// code base as it is rather than rewriting it for style:
// - `no-unused-vars` ignores names starting with `_`, the convention for destructuring a field away
//   (`const { observedAt: _o, ...rest } = batch`) and for unused parameters.
// - `no-unused-expressions` is off: the code uses comma sequences on purpose in one-line statements
//   (`for (const s of sims) (s.reset(), s.clear())`), which the rule cannot be told to accept.
// - `no-explicit-any` is off in test/ only, where GraphQL response bodies are read as untyped JSON.
//
// The printed schema (`schema.graphql`, `npm run schema:print`) is linted with graphql-eslint's
// `require-description` for every kind: each type, field, argument, enum value, input field and directive has a
// description. The printed schema rather than the SDL sources, because fields of `Batch`'s implementations take the
// interface's description at build (`src/graphql/schema.ts`); test/schema/descriptions.test.ts checks the rest
// (the schema's own description, text that says more than the name).
import graphqlPlugin from '@graphql-eslint/eslint-plugin';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/__generated__/**', 'node_modules/**', 'dist/**'] },
  {
    files: [
      'src/**/*.ts',
      'test/**/*.ts',
      'bench/**/*.ts',
      'scripts/**/*.ts',
      'dashboard/**/*.{ts,tsx}',
      'codegen.ts',
      'vitest.config.ts',
    ],
    extends: [tseslint.configs.recommended],
    rules: {
      'max-len': ['error', { code: 120, ignoreUrls: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
      '@typescript-eslint/no-unused-expressions': 'off',
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['schema.graphql'],
    languageOptions: { parser: graphqlPlugin.parser },
    plugins: { '@graphql-eslint': graphqlPlugin },
    rules: {
      '@graphql-eslint/require-description': [
        'error',
        {
          types: true,
          DirectiveDefinition: true,
          FieldDefinition: true,
          InputValueDefinition: true,
          EnumValueDefinition: true,
        },
      ],
    },
  },
);
