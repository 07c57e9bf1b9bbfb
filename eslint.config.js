// Lint: typescript-eslint's recommended rules, plus the layering rules of DEVELOPERS.md:
// crdt/ and kernels/ are pure (no clock, no Math.random, no I/O) and import nothing outside
// themselves; net/ may import crdt/ but not src/.
import tseslint from 'typescript-eslint';

const impure = [
  { object: 'Date', property: 'now', message: 'crdt/ and kernels/ are pure: inject a clock.' },
  { object: 'Math', property: 'random', message: 'crdt/ and kernels/ are pure: inject seeded randomness.' },
  { object: 'performance', property: 'now', message: 'crdt/ and kernels/ are pure: inject a clock.' },
];
const ioModules = ['node:fs', 'node:fs/promises', 'node:net', 'node:http', 'node:child_process', 'node:worker_threads', 'classic-level'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', '.murmur/**', 'docs/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['crdt/**/*.ts'],
    rules: {
      'no-restricted-properties': ['error', ...impure],
      'no-restricted-syntax': ['error', { selector: "NewExpression[callee.name='Date']", message: 'crdt/ is pure: inject a clock.' }],
      'no-restricted-imports': ['error', { paths: ioModules, patterns: ['../net/*', '../src/*', '../kernels/*', '../simulations/*', '../../*'] }],
    },
  },
  {
    files: ['kernels/**/*.ts'],
    rules: {
      'no-restricted-properties': ['error', ...impure],
      'no-restricted-syntax': ['error', { selector: "NewExpression[callee.name='Date']", message: 'kernels/ is pure: inject a clock.' }],
      // kernels may import crdt/ (the shared error base) but no I/O and nothing above them.
      'no-restricted-imports': ['error', { paths: ioModules, patterns: ['../net/*', '../src/*', '../simulations/*', '../../net/*', '../../src/*', '../../simulations/*'] }],
    },
  },
  {
    files: ['net/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['../src/*', '../../src/*', '../simulations/*'] }] },
  },
);
