/**
 * `npm run sim -- <scenario | file.json> [--seed N] [--short] [--nodes N] [--out DIR]
 *   [--testbed netns [--kill9 K] | --workers N|auto [--scaling]] [--latency-ms L] [--jitter-ms J] [--loss P]`
 * Runs a scenario, writes DIR/<name>-<seed>.json and .html, prints each criterion, and ends
 * with one JSON line (the summary). Exit status: 0 all criteria pass, 1 one failed, 2 bad usage.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderReport } from './report/html.js';
import { runScenario } from './runner.js';
import { parseScenario, ScenarioError } from './scenario.js';
import { BUILT_IN } from './scenarios/index.js';
import { defaultWorkers, runTestbed, scalingOf } from './testbed/runner.js';
import { TestbedError } from './testbed/netns.js';

export const DEFAULT_OUT_DIR = 'simulations/out';

interface Args {
  target: string;
  seed: number;
  short: boolean;
  nodes?: number;
  out: string;
  testbed?: 'netns';
  kill9?: number;
  workers?: number;
  scaling: boolean;
  link: { latencyMs?: number; jitterMs?: number; loss?: number };
}

function usage(msg: string): never {
  console.error(`murmur sim: ${msg}\nusage: npm run sim -- <${Object.keys(BUILT_IN).join('|')}|file.json> [--seed N] [--short] [--nodes N] [--out DIR] [--testbed netns [--kill9 K] | --workers N|auto [--scaling]] [--latency-ms L] [--jitter-ms J] [--loss P]`);
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const a: Partial<Args> = { seed: 1, short: false, scaling: false, out: DEFAULT_OUT_DIR, link: {} };
  const num = (v: string, what: string, max: number): number => (/^\d+(\.\d+)?$/.test(v) && Number(v) <= max ? Number(v) : usage(`${what} must be a number in 0..${max}, got ${v}`));
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!;
    const value = (): string => argv[++i] ?? usage(`${x} needs a value`);
    const int = (v: string, what: string, max: number): number => (/^\d+$/.test(v) && Number(v) <= max ? Number(v) : usage(`${what} must be an integer in 0..${max}, got ${v}`));
    if (x === '--seed') a.seed = int(value(), '--seed', 2 ** 32 - 1);
    else if (x === '--nodes') a.nodes = int(value(), '--nodes', 200);
    else if (x === '--out') a.out = value();
    else if (x === '--short') a.short = true;
    else if (x === '--testbed') a.testbed = value() === 'netns' ? 'netns' : usage('--testbed takes netns');
    else if (x === '--kill9') a.kill9 = int(value(), '--kill9', 1000);
    else if (x === '--workers') {
      const v = value();
      a.workers = v === 'auto' ? defaultWorkers() : int(v, '--workers', 200);
      if (a.workers < 1) usage('--workers must be at least 1');
    } else if (x === '--scaling') a.scaling = true;
    else if (x === '--latency-ms') a.link!.latencyMs = num(value(), '--latency-ms', 10_000);
    else if (x === '--jitter-ms') a.link!.jitterMs = num(value(), '--jitter-ms', 10_000);
    else if (x === '--loss') a.link!.loss = num(value(), '--loss', 0.9);
    else if (x.startsWith('--')) usage(`unknown option ${x}`);
    else if (a.target === undefined) a.target = x;
    else usage(`unexpected argument ${x}`);
  }
  if (a.target === undefined) usage('name a scenario');
  if (a.workers !== undefined && a.testbed !== undefined) usage('--workers and --testbed netns are two different runners: name one');
  if (a.scaling && a.workers === undefined) usage('--scaling compares 1 worker with --workers N: give --workers');
  return a as Args;
}

/** --latency-ms, --jitter-ms and --loss override the scenario's link. */
function withLink(raw: Record<string, unknown>, a: Args): Record<string, unknown> {
  if (Object.keys(a.link).length === 0) return raw;
  return { ...raw, link: { ...((raw.link as Record<string, unknown> | undefined) ?? {}), ...a.link } };
}

function loadScenario(a: Args): unknown {
  const builtIn = BUILT_IN[a.target];
  if (builtIn !== undefined) return withLink(builtIn(a.short, a.nodes), a);
  if (!a.target.endsWith('.json')) usage(`no built-in scenario ${a.target} (and not a .json file)`);
  try {
    const raw = JSON.parse(readFileSync(a.target, 'utf8')) as Record<string, unknown>;
    return withLink(a.nodes === undefined ? raw : { ...raw, nodes: a.nodes }, a);
  } catch (err) {
    return usage(`cannot read ${a.target}: ${(err as Error).message}`);
  }
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  let scenario;
  try {
    scenario = parseScenario(loadScenario(a));
  } catch (err) {
    if (err instanceof ScenarioError) usage(err.message);
    throw err;
  }
  const started = Date.now();
  const logLine = (line: string): void => console.error(`[sim ${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`);
  let result;
  try {
    const kill9 = a.kill9 !== undefined ? { kill9: a.kill9 } : {};
    if (a.workers !== undefined) {
      const one = a.scaling ? await runTestbed(scenario, { seed: a.seed, log: logLine, workers: 1, ...kill9 }) : null;
      result = await runTestbed(scenario, { seed: a.seed, log: logLine, workers: a.workers, ...kill9 });
      if (one !== null) result = { ...result, summary: { ...result.summary, ...scalingOf(one.summary, result.summary, a.workers) } };
    } else result = a.testbed === 'netns' ? await runTestbed(scenario, { seed: a.seed, log: logLine, ...kill9 }) : await runScenario(scenario, { seed: a.seed, log: logLine });
  } catch (err) {
    if (err instanceof TestbedError) {
      console.error(`murmur sim: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  mkdirSync(a.out, { recursive: true });
  const base = join(a.out, `${scenario.name}-${a.seed}${a.short ? '-short' : ''}${a.testbed !== undefined ? `-${a.testbed}` : ''}${a.workers !== undefined ? `-workers${a.workers}` : ''}`);
  writeFileSync(`${base}.json`, JSON.stringify(result, null, 1));
  writeFileSync(`${base}.html`, renderReport(result, `npm run sim -- ${process.argv.slice(2).join(' ')}`));
  for (const c of result.criteria) console.log(`${c.pass ? 'PASS' : 'FAIL'} ${c.metric} = ${JSON.stringify(c.value)} (${c.min !== undefined ? `min ${c.min}` : ''}${c.min !== undefined && c.max !== undefined ? ', ' : ''}${c.max !== undefined ? `max ${c.max}` : ''})`);
  console.log(`report: ${resolve(`${base}.html`)}`);
  console.log(JSON.stringify({ ...result.summary, passed: result.passed }));
  process.exitCode = result.passed ? 0 : 1;
}

await main();
