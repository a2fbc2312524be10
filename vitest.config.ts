import { defineConfig } from 'vitest/config';

// One suite for the whole repo. Packages are imported from source through the
// `lambda-debug-source` export condition; anything that forks a real Node
// child uses the built `dist/` (the root `pretest` script builds it).
export default defineConfig({
  ssr: { resolve: { conditions: ['lambda-debug-source'] } },
  resolve: { conditions: ['lambda-debug-source'] },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', ['json', { outputFile: 'test-artifacts/vitest-results.json' }]],
  },
});
