import { ByteWriter, toHex } from '../bytes.js';
import { MurmurArgumentError } from '../errors.js';
import { HASH_BYTES } from '../hash.js';
import type { OpKind } from './registry.js';
import { payloadReader, readIdent, readSortedSet, writeIdent, writeText } from './fields.js';

export const KIND_AUDIT = 3;
export const MAX_AUDIT_SUBJECT_BYTES = 256;
export const MAX_AUDIT_DETAILS_BYTES = 16_384;
export const MAX_AUDIT_REFS = 64;

/** An audit event. `refs` are update ids (hex), a set, strictly ascending. */
export interface AuditEvent {
  readonly eventType: string;
  readonly subject: string;
  readonly details: string;
  readonly refs: readonly string[];
}

export const auditKind: OpKind<AuditEvent> = {
  kind: KIND_AUDIT,
  name: 'audit',
  decode(payload) {
    const r = payloadReader(payload);
    const eventType = readIdent(r, 'eventType');
    const subject = r.string(MAX_AUDIT_SUBJECT_BYTES);
    const details = r.string(MAX_AUDIT_DETAILS_BYTES);
    const refs = readSortedSet(r, MAX_AUDIT_REFS, () => r.bytes(HASH_BYTES), (b) => b, 'refs').map(toHex);
    r.finish();
    return { eventType, subject, details, refs };
  },
  encode(e) {
    const w = new ByteWriter(128);
    writeIdent(w, e.eventType, 'eventType');
    writeText(w, e.subject, 'subject', MAX_AUDIT_SUBJECT_BYTES);
    writeText(w, e.details, 'details', MAX_AUDIT_DETAILS_BYTES);
    const refs = [...new Set(e.refs)].sort();
    if (refs.length > MAX_AUDIT_REFS || refs.some((h) => !/^[0-9a-f]{64}$/.test(h))) {
      throw new MurmurArgumentError('refs', `at most ${MAX_AUDIT_REFS} update ids (64 hex characters)`);
    }
    w.varint(refs.length);
    for (const h of refs) w.bytes(Buffer.from(h, 'hex'));
    return w.finish();
  },
};
