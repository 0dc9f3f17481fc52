// Lint: the type-aware rules that catch what the compiler does not, above all floating promises
// (a lock released without being awaited is a lock that may outlive its run).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.local-s3/**', '.nest11/**', 'bench/out/**', 'coverage/**', 'test/user-apps/**', '**/*.js', '**/*.mjs', '**/*.d.ts'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/await-thenable': 'error',
      'no-console': 'error',
    },
  },
  {
    // The CLI's output and the tests', benchmark's and sample's own reporting.
    files: ['lib/cli/**', 'test/**', 'bench/**', 'sample/**', 'scripts/**'],
    rules: { 'no-console': 'off' },
  },
);
