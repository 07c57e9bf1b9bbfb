import { randomBytes } from 'node:crypto';
import { Author, DocWriter, KIND_DOC, REGISTRY_ARRAY, REGISTRY_DOC, REGISTRY_KINDS, type RegistryKind } from '../../crdt/index.js';
import { ConfigError } from '../errors.js';
import { loadKeyFile } from '../keys.js';
import { ApiCallError, getJson, signAndSubmit, type ApiTarget } from './api-client.js';

export interface RegistrySetArgs {
  key: string;
  api: ApiTarget;
  kind: string;
  id: string;
  version: string;
  body: string;
  owner?: string;
}

/**
 * `murmur registry-set`: appends one change record to the registry document, signed locally with
 * the given key (the entry's owner or an authority), on top of the node's current registry state.
 * Whether it counts is decided by every node alike (docs/PROTOCOL.md, "Registry").
 */
export async function registrySet(a: RegistrySetArgs): Promise<unknown> {
  if (!REGISTRY_KINDS.includes(a.kind as RegistryKind)) throw new ConfigError('--kind', REGISTRY_KINDS.join(' | '), a.kind);
  if (!/^\d+$/.test(a.version) || Number(a.version) < 1) throw new ConfigError('--version', 'an integer >= 1', a.version);
  let body: unknown;
  try {
    body = JSON.parse(a.body);
  } catch (err) {
    throw new ConfigError('--body', `a JSON object (${(err as Error).message})`);
  }
  const { signer } = loadKeyFile(a.key);
  const author = new Author(signer);
  const owner = a.owner ?? author.key;
  const record = { kind: a.kind, id: a.id, version: Number(a.version), timestampMs: Date.now(), nonce: randomBytes(12).toString('hex'), owner, body };
  let state: Uint8Array | null = null;
  try {
    const doc = (await getJson(a.api, `/v1/docs?name=${REGISTRY_DOC}`)) as { updateBase64: string };
    state = Buffer.from(doc.updateBase64, 'base64');
  } catch (err) {
    if (!(err instanceof ApiCallError && err.status === 404)) throw err;
  }
  const update = new DocWriter(author.key, state).write((d) => d.getArray(REGISTRY_ARRAY).push([record]));
  const ops = [{ kind: KIND_DOC, body: { doc: REGISTRY_DOC, update } }];
  return { record, submitted: await signAndSubmit(a.api, a.key, author, ops, record.timestampMs, 16) };
}
