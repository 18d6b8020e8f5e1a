import { defineConfig } from 'vitest/config';

// One config for the whole suite: unit tests sit beside the code, cross-folder suites in tests/.
export default defineConfig({
  test: {
    include: ['{contracts,runtime,actors,sync,adapters,git-engine,scripts,tests}/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'dist/**'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: real servers, real git and real CLIs; keep parallelism modest so timing-sensitive
    // suites (event-loop delay, crash/resume) are not starved.
    maxWorkers: 2,
  },
});
