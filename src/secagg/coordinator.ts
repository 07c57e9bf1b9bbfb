import { KIND_SECAGG, sameConfig, SecAggType, type OpInput, type SecAggConfig } from '../../crdt/index.js';
import type { RosterState, RoundState } from './round.js';

export interface CoordinatorOptions {
  stream: string;
  round: number;
  config: SecAggConfig;
  /** Publish the roster as soon as this many members have joined... */
  expectedMembers: number;
  /** ...or this long after the first step, with whoever joined (at least threshold + 1). */
  keysWaitMs: number;
  /** Close as soon as every member's masked vector is complete, or this long after the roster. */
  maskWaitMs: number;
}

export type CoordinatorStatus = 'waiting-keys' | 'waiting-masked' | 'closed' | 'failed';

/**
 * The coordinator of a round (the key the config names): it fixes the roster and then the
 * survivor set, each by one signed op, by a deterministic rule over what it sees. It learns
 * nothing it could not learn from the public ops; it is trusted for liveness, not privacy
 * (docs/PRIVACY.md): conflicting rosters or closes from it cannot make honest members reveal both
 * shares of anyone.
 */
export class SecAggCoordinator {
  private startedMs: number | null = null;
  private rosterMs: number | null = null;
  private sent = { roster: false, close: false };
  failure: string | null = null;

  constructor(private readonly o: CoordinatorOptions) {}

  step(state: RoundState, nowMs: number): { updates: OpInput[][]; status: CoordinatorStatus } {
    this.startedMs ??= nowMs;
    const base = { stream: this.o.stream, round: this.o.round };
    if (this.failure !== null) return { updates: [], status: 'failed' };
    const roster = state.rosters[0];
    if (roster === undefined) {
      if (this.sent.roster) return { updates: [], status: 'waiting-keys' };
      const joined = new Map<string, string>();
      for (const k of state.keys) if (sameConfig(k.config, this.o.config) && !joined.has(k.author)) joined.set(k.author, k.updateId);
      const members = [...joined.values()].sort().slice(0, this.o.config.maxMembers);
      const timedOut = nowMs - this.startedMs >= this.o.keysWaitMs;
      if (members.length < this.o.expectedMembers && !timedOut) return { updates: [], status: 'waiting-keys' };
      if (members.length < this.o.config.threshold + 1) {
        if (timedOut) this.failure = `too-few-members: ${members.length} joined, a threshold of ${this.o.config.threshold} needs at least ${this.o.config.threshold + 1}`;
        return { updates: [], status: timedOut ? 'failed' : 'waiting-keys' };
      }
      this.sent.roster = true;
      return { updates: [[{ kind: KIND_SECAGG, body: { ...base, type: SecAggType.Roster, members } }]], status: 'waiting-masked' };
    }
    this.rosterMs ??= nowMs;
    if (roster.closes.length > 0 || this.sent.close) return { updates: [], status: 'closed' };
    const complete = roster.members.every((m) => roster.masked.get(m.index)?.complete === true);
    if (!complete && nowMs - this.rosterMs < this.o.maskWaitMs) return { updates: [], status: 'waiting-masked' };
    const survivors = consistentSurvivors(roster);
    if (survivors.length < this.o.config.threshold) {
      this.failure = `too-few-survivors: ${survivors.length} consistent masked vectors, threshold ${this.o.config.threshold}`;
      return { updates: [], status: 'failed' };
    }
    this.sent.close = true;
    return { updates: [[{ kind: KIND_SECAGG, body: { ...base, type: SecAggType.Close, roster: roster.id, survivors } }]], status: 'closed' };
  }
}

/**
 * The survivor rule: members with a complete masked vector, less every member that masked
 * against a neighbour who did not mask against it (it sent its shares late, or sent one that did
 * not decrypt): such a pair's mask could only be removed with a survivor's mask key.
 */
export function consistentSurvivors(r: RosterState): number[] {
  const s = new Set(r.members.filter((m) => r.masked.get(m.index)?.complete === true).map((m) => m.index));
  for (;;) {
    const drop = [...s].filter((v) => r.masked.get(v)!.included.some((u) => s.has(u) && !r.masked.get(u)!.included.includes(v)));
    if (drop.length === 0) break;
    for (const v of drop) s.delete(v);
  }
  return [...s].sort((a, b) => a - b);
}
