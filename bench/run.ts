/**
 * Benchmark runner: `npm run bench -- <name> [args]`. Each benchmark prints its figures next to a
 * baseline measured in the same run, and its last line is one JSON object (docs/PERFORMANCE.md).
 */
const BENCHES: Record<string, () => Promise<{ main(args: string[]): Promise<void> }>> = {
  ingest: () => import('./ingest.js'),
  propagation: () => import('./propagation.js'),
  catchup: () => import('./catchup.js'),
  kernels: () => import('./kernels.js'),
  compression: () => import('./compression.js'),
  doc: () => import('./doc.js'),
  memory: () => import('./memory.js'),
  secagg: () => import('./secagg.js'),
  delivery: () => import('./delivery.js'),
};

const [name, ...args] = process.argv.slice(2);
const load = name === undefined ? undefined : BENCHES[name];
if (load === undefined) {
  console.error(`usage: npm run bench -- <${Object.keys(BENCHES).join('|')}> [args]`);
  process.exit(2);
}
await (await load()).main(args);
