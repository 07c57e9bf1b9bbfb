import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as v from 'valibot';
import { CONFIG_ENTRIES } from '../../src/config-schema.js';
import { configTemplate, DEFAULT_CONFIG, resolveConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

test('config: one schema makes the defaults, the validation and the commented template', () => {
  const template = configTemplate();
  for (const [k, entry] of Object.entries(CONFIG_ENTRIES)) {
    const comment = v.getDescription(entry.wrapped);
    assert.ok(comment !== undefined && comment.length > 10, `${k} has a comment in the schema`);
    assert.ok(template.includes(`  // ${comment}\n  "${k}": ${JSON.stringify(DEFAULT_CONFIG[k as keyof typeof DEFAULT_CONFIG])}`), `the template shows ${k} with its comment and default`);
    // A value of the wrong type is refused, naming the field.
    const d = DEFAULT_CONFIG[k as keyof typeof DEFAULT_CONFIG];
    const wrong = typeof d === 'string' || d === null ? 42 : 'not-this';
    assert.throws(() => resolveConfig({ [k]: wrong }), (e: unknown) => e instanceof ConfigError && e.field === k && /expected/.test(e.message), `${k}: a wrong type names the field and what it expects`);
  }
  assert.deepEqual(Object.keys(DEFAULT_CONFIG).sort(), Object.keys(CONFIG_ENTRIES).sort(), 'the defaults have exactly the schema\'s fields');
  assert.throws(() => resolveConfig({ listen: ['/ip4/1.2.3.4/tcp/1', 'nope'] }), (e: unknown) => e instanceof ConfigError && e.field === 'listen[1]', 'list items are named by index');
  assert.throws(() => resolveConfig({ typo: 1 }), (e: unknown) => e instanceof ConfigError && e.field === 'typo' && /one of the known fields/.test(e.message), 'an unknown field is named');
});
