import { execFileSync, spawnSync } from 'node:child_process';

/**
 * A lab of Linux network namespaces for the testbed (simulations/README.md, "Testbed"): one
 * namespace per node, each joined by a veth pair to one bridge, addresses 10.77.x.y/16 that
 * exist only inside what the run creates. Link conditions use netem where the kernel has it;
 * otherwise loss is an nftables `numgen random` drop on the bridge and latency is added in the
 * node process (a userspace delay line on its TCP connections, simulations/link.ts). Partitions
 * are nftables drops between the groups' addresses. Everything is removed by `destroy`, which
 * also runs on exit, SIGINT and SIGTERM.
 */

export class TestbedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TestbedError';
  }
}

export interface LinkMechanism {
  latency: 'netem' | 'userspace-delay-line';
  loss: 'netem' | 'nftables-numgen';
}

function run(cmd: string, args: string[], input?: string): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...(input !== undefined ? { input } : {}) });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new TestbedError(`${cmd} ${args.join(' ')}: ${(e.stderr ?? e.message).trim()}`);
  }
}

const quiet = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

/** Why the testbed cannot run here, or null. */
export function testbedUnavailable(): string | null {
  if (process.platform !== 'linux') return 'the netns testbed needs Linux network namespaces';
  if (process.getuid?.() !== 0) return 'the netns testbed needs root (it creates network namespaces, veth pairs, a bridge and nftables rules); run it as root, as CI does';
  for (const [cmd, args] of [['ip', ['-V']], ['nft', ['--version']]] as const) {
    if (!quiet(cmd, [...args])) return `the netns testbed needs \`${cmd}\` (Debian: apt-get install ${cmd === 'ip' ? 'iproute2' : 'nftables'})`;
  }
  return null;
}

export class NetnsLab {
  readonly names: string[];
  readonly addrs: string[];
  readonly mechanism: LinkMechanism;
  private readonly bridge: string;
  private readonly table: string;
  private destroyed = false;
  private readonly onExit = (): void => this.destroy();
  private readonly onSignal = (sig: NodeJS.Signals): void => {
    this.destroy();
    process.kill(process.pid, sig);
  };

  constructor(
    readonly tag: string,
    readonly n: number,
    link: { latencyMs: number; jitterMs: number; loss: number },
  ) {
    if (n > 250 * 250) throw new TestbedError(`at most ${250 * 250} nodes`);
    this.names = Array.from({ length: n }, (_, i) => `${tag}n${i}`);
    this.addrs = Array.from({ length: n }, (_, i) => `10.77.${Math.floor(i / 250)}.${(i % 250) + 2}`);
    this.bridge = `${tag}br`;
    this.table = `${tag}`;
    process.once('exit', this.onExit);
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
    try {
      run('ip', ['link', 'add', this.bridge, 'type', 'bridge']);
      run('ip', ['addr', 'add', '10.77.255.1/16', 'dev', this.bridge]);
      run('ip', ['link', 'set', this.bridge, 'up']);
      for (let i = 0; i < n; i++) {
        const ns = this.names[i]!;
        const host = `${tag}h${i}`;
        const peer = `${tag}v${i}`;
        run('ip', ['netns', 'add', ns]);
        run('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', peer]);
        run('ip', ['link', 'set', peer, 'netns', ns]);
        run('ip', ['link', 'set', host, 'master', this.bridge, 'up']);
        run('ip', ['-n', ns, 'addr', 'add', `${this.addrs[i]}/16`, 'dev', peer]);
        run('ip', ['-n', ns, 'link', 'set', peer, 'up']);
        run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      }
      const netem = quiet('tc', ['qdisc', 'add', 'dev', `${tag}h0`, 'root', 'netem', 'delay', '1ms']);
      if (netem) quiet('tc', ['qdisc', 'del', 'dev', `${tag}h0`, 'root']);
      this.mechanism = netem ? { latency: 'netem', loss: 'netem' } : { latency: 'userspace-delay-line', loss: 'nftables-numgen' };
      const lossPerMille = Math.round(link.loss * 1000);
      if (netem) {
        // Each direction crosses two host-side veths' egress (into a namespace): half the one-way delay on each.
        for (let i = 0; i < n; i++) {
          const args = ['qdisc', 'add', 'dev', `${tag}h${i}`, 'root', 'netem', 'delay', `${link.latencyMs / 2}ms`, `${link.jitterMs / 2}ms`];
          if (link.loss > 0) args.push('loss', `${(link.loss * 50).toFixed(3)}%`);
          run('tc', args);
        }
      }
      const lossRule = !netem && lossPerMille > 0 ? `meta l4proto tcp numgen random mod 1000 < ${lossPerMille} drop` : '';
      run('nft', ['-f', '-'], `table bridge ${this.table} {\n chain partition { }\n chain forward { type filter hook forward priority 0; policy accept; jump partition\n ${lossRule}\n }\n}\n`);
    } catch (err) {
      this.destroy();
      throw err;
    }
  }

  /** Drops all traffic between nodes of different groups (the groups' addresses), until heal. */
  partition(groups: readonly (readonly number[])[]): void {
    const set = (g: readonly number[]): string => `{ ${g.map((i) => this.addrs[i]).join(', ')} }`;
    const rules: string[] = [];
    for (let a = 0; a < groups.length; a++) for (let b = 0; b < groups.length; b++) if (a !== b && groups[a]!.length > 0 && groups[b]!.length > 0) rules.push(`add rule bridge ${this.table} partition ip saddr ${set(groups[a]!)} ip daddr ${set(groups[b]!)} drop`);
    run('nft', ['-f', '-'], `flush chain bridge ${this.table} partition\n${rules.join('\n')}\n`);
  }

  heal(): void {
    run('nft', ['flush', 'chain', 'bridge', this.table, 'partition']);
  }

  /** argv to run a command inside node i's namespace. */
  exec(i: number, argv: string[]): string[] {
    return ['ip', 'netns', 'exec', this.names[i]!, ...argv];
  }

  /** Removes every namespace, veth, the bridge and the nftables table (idempotent; never throws). */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    quiet('nft', ['delete', 'table', 'bridge', this.table]);
    for (const ns of this.names) quiet('ip', ['netns', 'del', ns]);
    for (let i = 0; i < this.n; i++) quiet('ip', ['link', 'del', `${this.tag}h${i}`]);
    quiet('ip', ['link', 'del', this.bridge]);
    process.off('exit', this.onExit);
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}

/** Namespaces and links left by any testbed run (for tests and for the user to check). */
export function leftovers(prefix = 'mm'): { namespaces: string[]; links: string[] } {
  const ns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  const links = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout ?? '';
  return {
    namespaces: ns.split('\n').map((l) => l.split(' ')[0]!).filter((x) => x.startsWith(prefix)),
    links: links.split('\n').map((l) => l.split(':')[1]?.trim().split('@')[0] ?? '').filter((x) => x.startsWith(prefix)),
  };
}
