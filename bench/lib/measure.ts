import { spawnSync } from 'node:child_process';

/** What one benchmark case reports, printed as one JSON line by the child process. */
export interface CaseResult {
  readonly ms: number;
  readonly objects: number;
  readonly maxRssMiB: number;
}

/**
 * Runs `script` in a fresh Node process (so peak RSS belongs to this case alone) and returns the
 * JSON line it prints last. Throws with the child's stderr when it fails.
 */
export function runCase(script: string, args: readonly string[]): CaseResult {
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--max-old-space-size=8192', script, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (child.status !== 0) throw new Error(`${script} ${args.join(' ')} failed (${child.status}):\n${child.stderr}`);
  const last = child.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as CaseResult;
}

/** Peak resident set size of this process so far, in MiB. */
export function maxRssMiB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
