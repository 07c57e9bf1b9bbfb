/** `murmur help`: every command with its flags (what `murmur <command> --help` prints a part of). */
export const USAGE = `usage: murmur <command> [flags]

  keygen        [--out murmur.key]                      write a new Ed25519 key (mode 0600), print its public key
  peer-id       [--key F]                               the libp2p peer id of a node key (default ./.murmur/node.key),
                                                        for bootstrap multiaddrs (/dns4/…/tcp/4001/p2p/<peer id>)
  init          [--config murmur.config.json]           write a commented config file with the defaults, and
                                                        an API token (murmur.api-token, mode 0600) beside it
  start         [--config F] [--data-dir D] [--network-id N] [--listen MA]... [--bootstrap MA]...
                [--api-host H] [--api-port P] [--mdns]
                [--kernel-backend auto|webgpu|cpu]      run a peer
  status        [--api URL]                             ask a running node for its status
  peers         [--api URL]                             list a running node's peers
  attest        --key F --feed F --value V --confidence C [--feed ... --value ... --confidence ...]
                [--source S]... [--api URL]             sign attestations locally and submit them
  resend        --key F [--api URL]                     resend the key's unacknowledged updates (same bytes) to a node
  verify-store  [--data-dir D]                          replay the store and print its digest
  conformance   --pair P [--session N] [--venue V] [--api URL]
                                                        the ArbSphere conformance checks of a session's venues
                                                        (exit 1 when one fails)
  venue         --key F --pair P --name A --curvature C --price P [--session N] [--rho R]
                [--max-iterations K] [--epsilon E] [--signal=V]... [--signal-clip C] [--signal-noise Z]
                [--signal-epsilon E] [--signal-delta D] [--poll-ms MS] [--timeout-ms MS] [--api URL]
                                                        one ArbSphere venue as its own process: sign its problem,
                                                        then a PlanDelta per iteration (exchange ADMM on the
                                                        node's derived duals) until the session stops; the
                                                        book (C, P) never leaves it; --signal values are noised
                                                        here and charged to the key's budget (exit 1 unless
                                                        converged)
  replay        [--data-dir D] [--config F]             re-derive every ArbSphere plan and dual and the audit log
                                                        from a stopped node's store; print the decisions' digest
  backup        DIR [--api URL]                         a consistent copy of a running node's store (GET /v1/backup)
                                                        into DIR/store, checked, with DIR/backup.json (count, digest)
  restore       DIR [--data-dir D]                      check a backup and write it into D/store (D/store must not
                                                        exist; the node is not running); prints the digest
  export        [--kind attestation|audit] [--format ndjson|csv] [--feed F] [--api URL]
                                                        every attestation (or audit event) the node counts, to stdout
  aggregate     --feed F [--from MS] [--to MS] [--api URL]
                                                        a feed's aggregate (Pyth-style price, confidence, outliers)
  aggregate     --stream S --round N [--rule mean|median|trimmed-mean|multi-krum]
                [--trim B] [--f N] [--clip C] [--api URL]
                                                        a delta round's aggregate (values as base64 f32)
  registry      [--api URL]                             the registry: feeds, adapters, schemas, disputes
  registry-set  --key F --kind feed|adapter|schema --id ID --version N --body JSON [--owner HEX] [--api URL]
                                                        sign a registry change locally and submit it
  delta         --key F --stream S --round N (--values-json '[...]' | --values-f32 FILE) --clip C
                --noise-multiplier Z [--weight W] [--epsilon E] [--delta D] [--api URL]
                                                        local DP: clip to L2 norm C, add N(0, (Z C)^2) noise from
                                                        the CSPRNG, charge the key's own budget (F.privacy.json,
                                                        default epsilon 10 at delta 1e-6), sign and submit
  rotate        --key F --new-key F2 [--api URL]        the key names F2 its successor (F2 signs its consent): the
                                                        identity, its weights and history continue under F2
  revoke        --key F [--target HEX [--cutoff ID]] [--reason R] [--api URL]
                                                        revoke the key itself from its next update on, or (a
                                                        registry authority) --target after its update --cutoff
  succession-proof --key F2 --old HEX                   F2's consent to continue HEX's identity (for readmit)
  readmit       --key F --old HEX --new HEX2 --proof P [--api URL]
                                                        a registry authority lets HEX2 continue HEX's identity
                                                        (after an equivocation or a revocation); evidence kept
  secagg-join   --key F --stream S --round N (--values-json '[...]' | --values-f32 FILE) --coordinator HEX
                --dimension D --clip C [--neighbours K] [--threshold T] [--max-members M] [--scale-bits B]
                [--noise-std SIGMA [--epsilon E] [--delta D]] [--share-wait-ms MS] [--timeout-ms MS] [--api URL]
                                                        secure aggregation: take part in a masked round (keys,
                                                        shares, masked vector, reveal); only the sum is revealed;
                                                        with noise, each round is charged to the key's budget
  secagg-coordinate --key F --stream S --round N --expected-members N --dimension D --clip C
                [--neighbours K] [--threshold T] [--max-members M] [--scale-bits B] [--noise-std SIGMA]
                [--keys-wait-ms MS] [--mask-wait-ms MS] [--timeout-ms MS] [--api URL]
                                                        coordinate a masked round (roster, close; the key is
                                                        the round's --coordinator) and print its secure mean

  Commands that sign (attest, registry-set, delta, rotate, revoke, readmit, secagg-*) keep a journal beside the key (F.journal.json,
  0600) and a lock (F.lock): a retry resends the same bytes, never a new update at a used seq.
  Commands that call a node take --api URL (default http://127.0.0.1:7070) and --token-file F, the
  bearer token of a node whose config sets apiTokenFile (default: $MURMUR_API_TOKEN_FILE, else
  ./murmur.api-token when it exists).
`;

/**
 * The usage of one command (its lines of USAGE: the command's line and its continuation lines,
 * every variant when it has several), with the common notes; null for an unknown command.
 */
export function commandUsage(cmd: string): string | null {
  const lines = USAGE.split('\n');
  const out: string[] = [];
  let inside = false;
  for (const line of lines.slice(2)) {
    if (/^ {2}\S/.test(line)) inside = line.trimStart().split(/\s/)[0] === cmd && line.startsWith(`  ${cmd} `);
    else if (line.trim() === '') inside = false;
    if (inside) out.push(line);
  }
  if (out.length === 0) return null;
  const notes = lines.slice(lines.findIndex((l, i) => i > 2 && l.startsWith('  Commands that sign')));
  return `usage: murmur ${cmd} [flags]\n\n${out.join('\n')}\n\n${notes.join('\n')}`;
}
