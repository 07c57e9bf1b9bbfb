import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Log, fromHex } from '../../crdt/index.js';
import { buildUpdateVectors, type UpdateVector } from '../helpers/update-vectors.js';

const file = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'vectors', 'updates-v1.json'), 'utf8')) as {
  steps: UpdateVector[];
};

test('docs/vectors/updates-v1.json is what the encoder produces today (encoding is stable)', () => {
  assert.deepEqual(buildUpdateVectors().steps, file.steps, 'regenerate with scripts/gen-vectors.ts only for a protocol change');
});

test('every vector step gives its documented outcome', () => {
  const log = new Log();
  for (const step of file.steps) {
    const o = log.offer(fromHex(step.bytes));
    assert.equal(o.status, step.expect.status, `${step.name}: status`);
    if (step.expect.code !== undefined) assert.equal(o.status === 'rejected' && o.code, step.expect.code, `${step.name}: code`);
    if (step.id !== null && o.status !== 'rejected') assert.equal(o.id, step.id, `${step.name}: id`);
  }
});
