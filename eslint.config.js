// ESLint flat config: the recommended JavaScript and typescript-eslint rules without type
// information (tsc does the type check in .ci/run), over src, test and bench.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'dist-bench/', 'coverage/', '.tap/', '.ci/', '.scratch/', 'test-output/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // `_`-prefixed names mark parameters and bindings kept on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // `t.ok(x) || t.comment(detail)` is the tests' way to add detail to a failure.
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true }],
      // A `let` read by a teardown registered before its first assignment must stay a `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // The console's few browser scripts (served as they are, no build step).
    files: ['console/assets/**/*.js'],
    languageOptions: {
      globals: { document: 'readonly', window: 'readonly', navigator: 'readonly', fetch: 'readonly', Element: 'readonly', HTMLFormElement: 'readonly' },
    },
  },
  {
    // Tests and benchmarks read JSON answers and tap internals loosely; src stays `any`-free.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
