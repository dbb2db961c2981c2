// Lint: typescript-eslint recommended everywhere, plus the architecture rule that keeps `core` pure:
// no I/O modules, no timers, no wall clock, no randomness. The simulator is held to the same rule.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

const ioModules = [
  "fs",
  "fs/promises",
  "net",
  "dgram",
  "child_process",
  "os",
  "path",
  "http",
  "https",
  "crypto",
  "worker_threads",
  "pino",
  "commander",
  "yaml",
];
const pureMessage = "core is pure: do I/O in an adapter and pass results in";

/** Rules that make a folder deterministic: time and randomness must be passed in. */
export const pureRules = {
  "no-restricted-imports": [
    "error",
    {
      paths: ioModules.map((name) => ({ name, message: pureMessage })),
      patterns: [{ group: ["node:*"], message: pureMessage }],
    },
  ],
  "no-restricted-globals": [
    "error",
    ...[
      "process",
      "setTimeout",
      "setInterval",
      "setImmediate",
      "clearTimeout",
      "clearInterval",
      "queueMicrotask",
      "fetch",
      "performance",
      "require",
    ].map((name) => ({
      name,
      message: "core is pure: time, timers and the environment come in as arguments",
    })),
  ],
  "no-restricted-syntax": [
    "error",
    {
      selector: "MemberExpression[object.name='Date'][property.name='now']",
      message: "core is pure: pass the current time in",
    },
    { selector: "NewExpression[callee.name='Date']", message: "core is pure: pass the current time in" },
    {
      selector: "MemberExpression[object.name='Math'][property.name='random']",
      message: "core is pure: use the seeded PRNG",
    },
  ],
};

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "test/fixtures/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  { files: ["src/core/**/*.ts", "src/sim/**/*.ts"], ignores: ["src/sim/cli.ts"], rules: pureRules },
  { files: ["**/*.js", "**/*.mjs"], languageOptions: { globals: globals.node } },
);
