import type { MurmurNode } from './node.js';

/** Stops `node` on SIGINT or SIGTERM (once), then exits 0, or 1 when the stop failed: what `murmur start` and testbed node processes do. */
export function exitOnSignals(node: MurmurNode): void {
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    node.logger.info({ signal }, 'shutting down');
    node.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        node.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}
