// Lint gate run by `npm test` (see package.json "lint"): ESLint's and typescript-eslint's recommended rules,
// the rules of hooks, and the project's file-naming convention (kebab-case modules, PascalCase React components).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import path from 'node:path';
import { layerRules } from './tools/lint/layers.js';

/** .ts files: kebab-case (dots allowed for roles: train.worker.ts, foo.test.ts); .tsx: PascalCase, or main.tsx. */
const fileNaming = {
  meta: { type: 'suggestion', schema: [], messages: { bad: "File name '{{name}}' breaks the naming convention: {{rule}}" } },
  create(context) {
    const name = path.basename(context.filename);
    const kebab = /^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)*\.(ts|js|mjs)$/;
    const pascal = /^[A-Z][A-Za-z0-9]*\.tsx$/;
    let rule = null;
    if (/\.tsx$/.test(name)) {
      if (!pascal.test(name) && name !== 'main.tsx') rule = 'React component files are PascalCase (Header.tsx)';
    } else if (!kebab.test(name)) rule = 'modules are kebab-case (url-schema.ts, train.worker.ts)';
    return {
      Program(node) {
        if (rule) context.report({ node, messageId: 'bad', data: { name, rule } });
      },
    };
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'results/**', 'public/**', 'test/fixtures/**', '.vite/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks, project: { rules: { 'file-naming': fileNaming, ...layerRules } } },
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
      'project/file-naming': 'error',
      'project/layers': 'error',
      'project/no-cycles': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
);
