import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/.strata/**"],
    // Source type errors are `npm run typecheck`'s job; here only the type tests count.
    typecheck: {
      enabled: true,
      include: ["**/*.test-d.ts"],
      tsconfig: "./tsconfig.json",
      ignoreSourceErrors: true,
    },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
