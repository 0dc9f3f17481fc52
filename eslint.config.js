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
    // The line between the lock and Nest: the Nest-free core (what `nestjs-s3-lock/core` and the
    // CLI load) imports nothing of Nest, rxjs or the library's Nest layer.
    files: [
      'lib/core/**/*.ts', 'lib/protocol/**/*.ts', 'lib/errors/**/*.ts', 'lib/interfaces/**/*.ts', 'lib/cli/**/*.ts',
      'lib/s3-lock.options.ts', 'lib/s3-lock.constants.ts', 'lib/s3-lock.context.ts', 'lib/leadership/leadership.ts',
      'lib/runner/locked-run.ts', 'lib/runner/run-tracker.ts',
      'lib/testing/in-memory-*.ts', 'lib/testing/testing-options.ts',
    ],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['@nestjs/*', 'rxjs', 'rxjs/*'], message: 'The Nest-free core must not load Nest or rxjs (see CONTRIBUTING.md, "The path of one call").' },
          {
            group: [
              '**/runner/s3-lock.runner.js', '**/runner/scheduled-calls.js', '**/decorators/*', '**/interceptors/*',
              '**/health/*', '**/leadership/leader-explorer.js', '**/s3-lock.service.js', '**/s3-lock.module.js',
              '**/s3-lock.module-definition.js', '**/testing/s3-lock-testing.module.js', '**/testing/index.js',
              // lib/index.js, the Nest entry point
              '../index.js', '../../index.js',
            ],
            message: 'The Nest-free core must not import the Nest layer.',
          },
        ],
      }],
    },
  },
  {
    // The CLI's output and the tests', benchmark's and sample's own reporting.
    files: ['lib/cli/**', 'test/**', 'bench/**', 'sample/**', 'scripts/**'],
    rules: { 'no-console': 'off' },
  },
);
