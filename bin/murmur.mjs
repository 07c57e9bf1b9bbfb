#!/usr/bin/env node
// The `murmur` executable (package.json "bin": `npx murmur`, or `npm link` for a global command).
// It runs the CLI on Node 22 or newer: on an older node it re-runs itself with the project's own
// Node 22 (the "node" devDependency), as `npm start` does through PATH, or says how to get one.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
if (major >= 22) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
} else {
  const own = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(own)) {
    console.error(`murmur needs Node 22 or newer; this is ${process.version} (${process.execPath}), and the project's own Node 22 (${own}) is not installed: run npm install.`);
    process.exit(1);
  }
  const child = spawn(own, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal !== null ? 128 + (constants.signals[signal] ?? 15) : 1)));
}
