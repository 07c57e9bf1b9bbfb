import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KernelError, KernelErrorCode, PrivacyAccountant } from '../../kernels/index.js';
import { AggregationService } from '../../src/aggregates/aggregation-service.js';
import { PrivacyLedger } from '../../src/aggregates/privacy-ledger.js';
import { resolveConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { startNode, tempDataDir } from '../helpers/cluster.js';

test('the privacy spend survives a restart: a stream whose budget ran out stays refused', (t) => {
  const dataDir = tempDataDir('privacy');
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const config = resolveConfig({ dataDir, privacyEpsilon: 1, privacyDelta: 1e-5, kernelBackend: 'cpu', logLevel: 'silent' });
  const first = new AggregationService(config, createLogger('silent'));
  let charged = 0;
  for (; charged < 1_000; charged++) {
    try {
      first.chargePrivacy('model-a', 0.1, 2);
    } catch (err) {
      assert.ok(err instanceof KernelError && err.code === KernelErrorCode.BudgetExceeded, `charge ${charged}: refused for the budget`);
      break;
    }
  }
  assert.ok(charged > 0 && charged < 1_000, `the budget allowed ${charged} releases, then ran out`);
  first.chargePrivacy('model-b', 0.1, 2);
  first.close();
  assert.equal(statSync(join(dataDir, 'privacy.json')).mode & 0o777, 0o600, 'the ledger is private to the node');

  const second = new AggregationService(config, createLogger('silent'));
  t.after(() => second.close());
  assert.deepEqual(second.accountant.entries(), first.accountant.entries(), 'the restarted node knows every stream it spent on');
  assert.throws(() => second.chargePrivacy('model-a', 0.1, 2), (err: unknown) => err instanceof KernelError && err.code === KernelErrorCode.BudgetExceeded, 'still refused after the restart');
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

test('an unreadable ledger stops the node at start-up with the path and what is expected', (t) => {
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

test('a node refuses to start on an unreadable ledger and leaves nothing half-started', async (t) => {
  const dataDir = tempDataDir('privacy-start');
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  writeFileSync(join(dataDir, 'privacy.json'), '{"version": 1, "rho": {"s": "lots"}}');
  await assert.rejects(startNode(dataDir), (err: unknown) => err instanceof ConfigError && /rho\.s/.test(err.message), 'ConfigError naming the entry');
  rmSync(join(dataDir, 'privacy.json'));
  // The store was closed on the way out: a second start opens it (LevelDB holds a lock while open).
  const node = await startNode(dataDir);
  await node.stop();
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
