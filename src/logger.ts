import { pino, type Logger } from 'pino';

/** Structured JSON logs (pino) on stderr; stdout stays free for command output. */
export function createLogger(level: string, name = 'murmur'): Logger {
  return pino({ name, level }, pino.destination({ fd: 2, sync: false }));
}

export type { Logger };
