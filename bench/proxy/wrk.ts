/**
 * Runs `wrk --latency` pinned to a core and parses what it prints: requests, requests/s, the
 * latency distribution (p50, p99 in ms), non-2xx/3xx responses and socket errors.
 */
import type { Registry } from './processes.js';

export interface WrkResult {
  readonly requests: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Non-2xx/3xx responses plus socket errors (connect, read, write, timeout). */
  readonly errors: number;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function latency(out: string, pct: string): number {
  const m = new RegExp(`^\\s*${pct}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out);
  if (!m) throw new Error(`wrk printed no ${pct}% latency:\n${out}`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

/** Parses wrk's standard output (exported for the self-check). */
export function parseWrk(out: string): WrkResult {
  const req = /^\s*(\d+) requests in/m.exec(out);
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(out);
  if (!req || !rps) throw new Error(`wrk output not understood:\n${out}`);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const sockErrors = sock ? sock.slice(1).reduce((s, n) => s + Number(n), 0) : 0;
  return { requests: Number(req[1]), rps: Number(rps[1]), p50Ms: latency(out, '50'), p99Ms: latency(out, '99'), errors: non2xx + sockErrors };
}

/** `wrk -t1 -c<connections> -d<seconds>s --latency -H 'Host: <host>' <url>` on `core`. */
export function runWrk(registry: Registry, core: number, url: string, host: string, connections: number, seconds: number): Promise<WrkResult> {
  const child = registry.start(`wrk ${url}`, core, 'wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-H', `Host: ${host}`, url]);
  return new Promise((resolve, reject) => {
    let out = '';
    child.proc.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
    child.proc.once('exit', (code) => {
      if (code !== 0) { reject(new Error(`wrk exited ${code}: ${child.tail()}`)); return; }
      try { resolve(parseWrk(out)); } catch (e) { reject(e as Error); }
    });
  });
}
