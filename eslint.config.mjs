// Lint for the browser code: strict, type-checked typescript-eslint on the
// TypeScript sources, an import-cycle check over every module of
// frontend/src (views must not import each other in a loop), and the plain
// recommended rules on the build script and the node tests.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import importX from "eslint-plugin-import-x";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";

const NODE_GLOBALS = {
  process: "readonly",
  console: "readonly",
  Buffer: "readonly",
  URL: "readonly",
  TextEncoder: "readonly",
  TextDecoder: "readonly",
  crypto: "readonly",
  setTimeout: "readonly",
  structuredClone: "readonly",
  AbortController: "readonly",
  fetch: "readonly",
  Response: "readonly",
  Request: "readonly",
  Headers: "readonly",
  Blob: "readonly",
  File: "readonly",
  atob: "readonly",
  btoa: "readonly",
  globalThis: "readonly",
};

export default tseslint.config(
  { ignores: ["frontend/dist/**", "node_modules/**", "test-artifacts/**", "infra/**"] },
  {
    files: ["frontend/src/**/*.{ts,js}"],
    plugins: { "import-x": importX },
    settings: {
      "import-x/resolver-next": [createTypeScriptImportResolver({ project: "tsconfig.json" })],
      "import-x/core-modules": ["candor:catalogues", "candor:manifest", "candor:questionnaire"],
    },
    rules: { "import-x/no-cycle": ["error", { ignoreExternal: true }] },
  },
  {
    files: ["frontend/src/**/*.ts", "frontend/build.ts", "frontend/build-heif.ts", "frontend/verify/*.ts"],
    extends: [...tseslint.configs.strictTypeChecked, ...tseslint.configs.stylisticTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Template literals print numbers and the like on purpose (sizes, counts).
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  {
    // lib/ is the twin of candor/: no DOM document, no node globals.
    files: ["frontend/src/lib/**/*.ts"],
    rules: {
      "no-restricted-globals": [
        "error",
        { name: "document", message: "lib/ knows nothing of the DOM; render in page/ or console/" },
        { name: "window", message: "lib/ knows nothing of the DOM; render in page/ or console/" },
        { name: "Buffer", message: "lib/ runs in the browser: use Uint8Array" },
        { name: "process", message: "lib/ runs in the browser" },
      ],
    },
  },
  {
    files: ["frontend/build.mjs", "frontend/build-verifier.mjs", "tests/js/**/*.mjs"],
    extends: [js.configs.recommended],
    languageOptions: { globals: NODE_GLOBALS },
    rules: { "no-unused-vars": ["error", { argsIgnorePattern: "^_" }] },
  },
);
