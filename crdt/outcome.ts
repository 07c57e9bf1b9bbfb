import type { RejectCode } from './errors.js';

/** The verdict on one offered update. */
export type Outcome =
  | { readonly status: 'accepted'; readonly id: string; /** pending updates this one released, in apply order */ readonly released: readonly string[] }
  | { readonly status: 'duplicate'; readonly id: string }
  | {
      readonly status: 'pending';
      readonly id: string;
      readonly missing: readonly string[];
      /** false when the pending buffer refused or at once evicted it (it is not invalid; sync refetches it). */
      readonly held: boolean;
    }
  | { readonly status: 'rejected'; readonly id: string | null; readonly code: RejectCode; readonly reason: string };
