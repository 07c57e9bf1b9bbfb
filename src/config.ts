import { readFileSync } from 'node:fs';
import * as v from 'valibot';
import { ConfigError } from './errors.js';
import { CONFIG_ENTRIES, CONFIG_SCHEMA, RETENTION_MAX_MS, RETENTION_MIN_MS } from './config-schema.js';

/** The node's config: every field, its bounds, default and comment are in config-schema.ts. */
export type NodeConfig = v.InferOutput<typeof CONFIG_SCHEMA>;
/** Retention periods in milliseconds (null: kept forever). */
export type Retention = NodeConfig['retention'];

export { RETENTION_MAX_MS, RETENTION_MIN_MS };

export const DEFAULT_CONFIG: NodeConfig = v.parse(CONFIG_SCHEMA, {});

/** "retention.auditMs", "listen[2]": the path of a valibot issue as a ConfigError field. */
function fieldOf(issue: v.BaseIssue<unknown>): string {
  let out = '';
  for (const p of issue.path ?? []) out += typeof p.key === 'number' ? `[${p.key}]` : `${out === '' ? '' : '.'}${String(p.key)}`;
  return out === '' ? 'config' : out;
}

/** Validates a partial config over the defaults (CONFIG_SCHEMA); throws ConfigError naming the first bad field and what it expects. */
export function resolveConfig(partial: Record<string, unknown>): NodeConfig {
  const r = v.safeParse(CONFIG_SCHEMA, partial, { abortEarly: true });
  if (r.success) return r.output;
  const issue = r.issues[0];
  throw new ConfigError(fieldOf(issue), issue.message, issue.input);
}

/** Reads a config file: JSON with // comments allowed on their own lines (what `murmur init` writes). */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('config', `a readable config file (${(err as Error).message})`);
  }
  const json = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('//'))
    .join('\n');
  try {
    const v = JSON.parse(json) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError('config', `a JSON object (${(err as Error).message})`);
  }
}

/** The commented config file `murmur init` writes (`overrides`: values other than the defaults, such as the token file it wrote), rendered from CONFIG_SCHEMA. */
export function configTemplate(overrides: Partial<NodeConfig> = {}): string {
  const d: NodeConfig = { ...DEFAULT_CONFIG, ...overrides };
  const keys = Object.keys(CONFIG_ENTRIES) as (keyof NodeConfig)[];
  const lines = keys.map((k, i) => `  // ${v.getDescription(CONFIG_ENTRIES[k].wrapped)}\n  ${JSON.stringify(k)}: ${JSON.stringify(d[k])}${i === keys.length - 1 ? '' : ','}\n`);
  return `{\n${lines.join('')}}\n`;
}
