// ESLint flat config: the recommended JavaScript and typescript-eslint rules (not the type-aware strict
// sets), plus the two layering rules of ARCHITECTURE.md: components/ never imports stacks/, and no file
// takes part in an import cycle. `npm run lint` runs it; .ci/run runs that after the type-check.
import js from "@eslint/js";
import importX from "eslint-plugin-import-x";
import tseslint from "typescript-eslint";

export default tseslint.config(
    {
        ignores: ["**/node_modules/**", "**/dist/**", "**/*.js", "**/*.mjs", "policies/tests/fixtures/**", "tests/fixtures/**"],
    },
    // Existing `eslint-disable` comments name rules this ruleset does not turn on; they are harmless.
    { linterOptions: { reportUnusedDisableDirectives: "off" } },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        files: ["**/*.ts"],
        plugins: { "import-x": importX },
        settings: {
            "import-x/extensions": [".ts", ".js"],
            "import-x/resolver": { node: { extensions: [".ts", ".js", ".json"] } },
        },
        rules: {
            // Zero import cycles: a cycle makes module load order decide whether a value is defined yet.
            "import-x/no-cycle": ["error", { ignoreExternal: true }],
            // `_`-prefixed names are deliberately unused (callback positions, destructured-away fields).
            "@typescript-eslint/no-unused-vars": [
                "error",
                { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_" },
            ],
        },
    },
    {
        // Tests reach into untyped Pulumi internals and lazy-load modules after the mocks are set.
        files: ["tests/**/*.ts", "policies/tests/**/*.ts", "workloads/*/test/**/*.ts"],
        // chai asserts by property access (`expect(x).to.not.be.empty`).
        rules: {
            "@typescript-eslint/no-explicit-any": "off",
            "@typescript-eslint/no-require-imports": "off",
            "no-regex-spaces": "off",
            "@typescript-eslint/no-unused-expressions": "off",
        },
    },
    {
        // Components take typed args and never know which environment or stack config they serve.
        files: ["components/**/*.ts"],
        rules: {
            "no-restricted-imports": [
                "error",
                {
                    patterns: [
                        {
                            group: ["**/stacks", "**/stacks/**"],
                            message:
                                "components/ must not import stacks/: take the value as a typed arg, or move the type into components/.",
                        },
                    ],
                },
            ],
        },
    },
);
