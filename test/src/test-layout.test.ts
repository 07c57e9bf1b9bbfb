import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

test('npm test runs every test directory: the unit run (concurrent) or the simulation run (one at a time)', () => {
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const covered = new Set([...`${scripts['test:unit']} ${scripts['test:sim']}`.matchAll(/"test\/([^/]+)\/\*\*\/\*\.test\.ts"/g)].map((m) => m[1]!));
  const dirs = readdirSync(join(ROOT, 'test'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && readdirSync(join(ROOT, 'test', d.name), { recursive: true }).some((f) => String(f).endsWith('.test.ts')))
    .map((d) => d.name);
  for (const d of dirs) assert.ok(covered.has(d), `test/${d} has tests that npm test would not run`);
  assert.match(scripts.test!, /test:unit.*test:sim/, 'npm test runs both');
});
