import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { KIND_SECAGG, RejectCode, SecAggType, toHex } from '../../crdt/index.js';
import { KernelErrorCode, x25519Public } from '../../kernels/index.js';
import { ApiErrorCode } from '../../src/http/api-error.js';
import { UI_PATHS } from '../../src/http/ui-routes.js';
import { UnavailableCode } from '../../src/errors.js';
import { nodeForTest } from '../helpers/cluster.js';
import { attest, authorFor, delta } from '../helpers/fixtures.js';

type Json = Record<string, unknown>;
interface Operation {
  responses: Record<string, Json>;
  'x-murmur-samples'?: { path: string; status: number; method?: string; body?: string }[];
}

const SPEC = parse(readFileSync(new URL('../../docs/openapi.yaml', import.meta.url), 'utf8')) as { paths: Record<string, Record<string, Operation>>; components: Json };
const specRoutes = Object.entries(SPEC.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));

/** Routes the router's source names: path literals and the path regexes, as OpenAPI templates. */
function routerRoutes(): Set<string> {
  const dir = new URL('../../src/http/', import.meta.url);
  const out = new Set<string>(UI_PATHS.map((p) => `GET ${p}`));
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts'))) {
    const src = readFileSync(new URL(f, dir), 'utf8');
    for (const m of src.matchAll(/'(\/(?:v1\/[a-z/]+|health|ready|metrics))'/g)) out.add(`${m[1] === '/v1/updates' ? 'POST' : 'GET'} ${m[1]}`);
    for (const m of src.matchAll(/\/\^(\\\/v1[^$]*)\$\//g)) out.add(`GET ${m[1]!.replaceAll('\\/', '/').replaceAll('([^/]+)', '{key}')}`);
  }
  return out;
}

test('OpenAPI: every route the router serves is in docs/openapi.yaml, and every route there is served', () => {
  const code = routerRoutes();
  for (const r of code) assert.ok(specRoutes.includes(r), `${r} is served but missing from the spec`);
  for (const r of specRoutes) assert.ok(code.has(r), `${r} is in the spec but the router has no such route`);
});

test('OpenAPI: the Error schema lists every error code the API can answer', () => {
  const spec = (((SPEC.components.schemas as Json).Error as Json).properties as Json).error as { properties: { code: { enum: string[] } } };
  const want = new Set<string>([...Object.values(ApiErrorCode), ...Object.values(KernelErrorCode), ...Object.values(RejectCode), ...Object.values(UnavailableCode), 'internal']);
  assert.deepEqual([...spec.properties.code.enum].sort(), [...want].sort(), 'the code enum is exactly the codes of the enums');
});

/** Rewrites '#/components/...' refs to the spec document registered under the id `openapi`. */
function withRefs(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withRefs);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v as Json).map(([k, x]) => [k, k === '$ref' && typeof x === 'string' ? `openapi${x}` : withRefs(x)]));
}

test('OpenAPI: a sample response of every route validates against its schema (ajv, JSON Schema 2020-12)', { timeout: 60_000 }, async (t) => {
  const { node } = await nodeForTest(t, 'openapi', { kernelBackend: 'cpu' });
  const a = authorFor('oas');
  await node.submit(a.next([attest('OAS/USD', 100_00, 1_000)], 1_000).bytes);
  await node.submit(a.next([delta('oas-plain', 1, [1, 2, 3])], 2_000).bytes);
  const config = { dimension: 8, neighbours: 2, threshold: 2, maxMembers: 3, scaleBits: 8, clipNorm: 1, noiseStd: 0, coordinator: toHex(randomBytes(32)) };
  await node.submit(a.next([{ kind: KIND_SECAGG, body: { type: SecAggType.Keys, stream: 'oas', round: 1, config, encPk: x25519Public(randomBytes(32)), maskPk: x25519Public(randomBytes(32)) } }], 3_000).bytes);
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema(withRefs({ components: SPEC.components }) as Json, 'openapi');
  let checked = 0;
  for (const [path, ops] of Object.entries(SPEC.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      assert.ok((op['x-murmur-samples'] ?? []).length > 0, `${method} ${path} has a sample request`);
      for (const s of op['x-murmur-samples']!) {
        const url = `${node.apiUrl}${s.path.replace('{author}', a.key)}`;
        const body = s.body === '{update}' ? JSON.stringify({ update: toHex(a.next([attest('OAS/USD', 101_00, 4_000)], 4_000).bytes) }) : s.body;
        const res = await fetch(url, { method: s.method ?? 'GET', ...(body !== undefined ? { body, headers: { 'content-type': 'application/json' } } : {}) });
        const label = `${s.method ?? 'GET'} ${s.path}`;
        assert.equal(res.status, s.status, `${label}: status ${s.status}`);
        let doc = op.responses[String(res.status)];
        assert.ok(doc !== undefined, `${label}: status ${res.status} is documented`);
        if (typeof doc.$ref === 'string') doc = (SPEC.components.responses as Json)[doc.$ref.split('/').pop()!] as Json;
        const [type, media] = Object.entries((doc.content ?? {}) as Record<string, { schema: Json }>)[0] ?? [];
        const got = res.headers.get('content-type') ?? '';
        if (type === undefined) continue;
        assert.ok(got.startsWith(type === 'text/plain' ? 'text/plain' : type), `${label}: content type ${got} is the documented ${type}`);
        if (type !== 'application/json') {
          await res.arrayBuffer();
          continue;
        }
        const validate = ajv.compile(withRefs(media!.schema) as Json);
        const json = (await res.json()) as unknown;
        assert.ok(validate(json), `${label}: ${JSON.stringify(validate.errors?.slice(0, 3))} in ${JSON.stringify(json).slice(0, 300)}`);
        checked++;
      }
    }
  }
  assert.ok(checked >= 25, `${checked} JSON responses validated`);
});
