import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KernelError, KernelErrorCode, PrivacyAccountant } from '../../kernels/index.js';
import { PrivacyLedger } from '../../src/contributor/privacy-ledger.js';
import { ContributorAccountant } from '../../src/contributor/private-delta.js';
import { ConfigError } from '../../src/errors.js';
import { tempDataDir } from '../helpers/cluster.js';

test('the contributor\'s privacy spend survives a new run: a stream whose budget ran out stays refused', (t) => {
  const dir = tempDataDir('privacy');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'c.key.privacy.json');
  const budget = { epsilon: 1, delta: 1e-5 };
  const first = new ContributorAccountant(path, budget);
  const privacy = { clipNorm: 0.1, noiseMultiplier: 20 };
  let charged = 0;
  for (; charged < 1_000; charged++) {
    try {
      first.charge('model-a', privacy);
    } catch (err) {
      assert.ok(err instanceof KernelError && err.code === KernelErrorCode.BudgetExceeded, `charge ${charged}: refused for the budget`);
      break;
    }
  }
  assert.ok(charged > 0 && charged < 1_000, `the budget allowed ${charged} releases, then ran out`);
  first.charge('model-b', privacy);
  assert.equal(statSync(path).mode & 0o777, 0o600, 'the ledger is private to the contributor');
  const second = new ContributorAccountant(path, budget);
  assert.deepEqual(second.spent('model-a'), first.spent('model-a'), 'a new run knows every stream it spent on');
  assert.throws(() => second.charge('model-a', privacy), (err: unknown) => err instanceof KernelError && err.code === KernelErrorCode.BudgetExceeded, 'still refused in the new run');
  assert.throws(() => second.charge('model-c', { clipNorm: 1, noiseMultiplier: 0 }), (err: unknown) => err instanceof KernelError && err.code === KernelErrorCode.BadParameter, 'a release without noise is not accounted for: refused');
});

test('a charge whose commit fails records nothing', () => {
  const acc = new PrivacyAccountant({ epsilon: 1, delta: 1e-5 });
  assert.throws(() => acc.charge('s', 0.1, 2, () => {
    throw new Error('disk full');
  }), /disk full/);
  assert.deepEqual(acc.entries(), [], 'nothing spent when the spend could not be made durable');
  acc.charge('s', 0.1, 2);
  assert.equal(acc.entries().length, 1, 'a committed charge is recorded');
});

test('an unreadable ledger is refused with the path and what is expected', (t) => {
  const dataDir = tempDataDir('privacy-bad');
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const path = join(dataDir, 'privacy.json');
  const cases: [string, RegExp][] = [
    ['{not json', /privacy\.json: expected a JSON object/],
    ['{"version": 2, "rho": {}}', /privacy\.json: expected a JSON object/],
    ['{"version": 1, "rho": []}', /privacy\.json: expected a JSON object/],
    ['{"version": 1, "rho": {"s": -1}}', /rho\.s: expected a finite number >= 0, got -1/],
  ];
  for (const [text, message] of cases) {
    writeFileSync(path, text);
    assert.throws(() => new PrivacyLedger(path).load(), (err: unknown) => err instanceof ConfigError && message.test(err.message), `${text}: a ConfigError naming the field`);
  }
  new PrivacyLedger(path).save([['s', 0.5]]);
  assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { version: 1, rho: { s: 0.5 } }, 'the saved form');
});

test('the ledger is never written past its bound: the charge is refused and the file on disk stays readable', (t) => {
  const dataDir = tempDataDir('privacy-bound');
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const path = join(dataDir, 'privacy.json');
  const ledger = new PrivacyLedger(path, 64);
  const acc = new PrivacyAccountant({ epsilon: 10, delta: 1e-5 });
  acc.charge('s1', 0.1, 2, (s, rho) => ledger.save([...acc.entries(), [s, rho]]));
  assert.throws(
    () => acc.charge('a-stream-with-a-long-name', 0.1, 2, (s, rho) => ledger.save([...acc.entries(), [s, rho]])),
    (err: unknown) => err instanceof KernelError && err.code === KernelErrorCode.BudgetExceeded,
    'a charge whose ledger would pass the bound is refused',
  );
  assert.deepEqual(acc.entries().map(([s]) => s), ['s1'], 'and records nothing');
  assert.deepEqual(new PrivacyLedger(path, 64).load(), [['s1', acc.entries()[0]![1]]], 'the file on disk is the last good ledger');
});
