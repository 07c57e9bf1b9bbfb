// Writes docs/vectors/updates-v1.json. Run: node --import tsx scripts/gen-vectors.ts
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildUpdateVectors } from '../test/helpers/update-vectors.js';

const out = join(import.meta.dirname, '..', 'docs', 'vectors', 'updates-v1.json');
const doc = {
  description:
    'murmur protocol v1 update vectors (docs/PROTOCOL.md). Offer the steps in order to one fresh log; each must give its expected outcome. Seeds are Ed25519 secret keys (RFC 8032).',
  ...buildUpdateVectors(),
};
writeFileSync(out, JSON.stringify(doc, null, 1) + '\n');
console.log(`wrote ${out}`);
