import { KindRegistry } from './registry.js';
import { attestationKind } from './attestation.js';
import { deltaKind } from './delta.js';
import { auditKind } from './audit.js';
import { docKind } from './doc.js';
import { secaggKind } from './secagg.js';
import { identityKind } from './identity.js';
import { arbKind } from './arb.js';

/** The kinds of protocol v1. Later kinds register beside these without touching them. */
export function defaultKinds(): KindRegistry {
  return new KindRegistry().register(attestationKind).register(deltaKind).register(auditKind).register(docKind).register(secaggKind).register(identityKind).register(arbKind);
}

export * from './registry.js';
export * from './attestation.js';
export * from './delta.js';
export * from './audit.js';
export * from './doc.js';
export * from './secagg.js';
export * from './identity.js';
export * from './arb.js';
