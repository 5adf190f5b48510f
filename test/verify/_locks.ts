import * as fs from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { ADDRESS_LOCK_DIR } from '../../src/verify/runtime/addresses.js';

/**
 * The loopback addresses the process `pid` holds now, read from the verify runtime's address locks.
 * Tests find a run's addresses here instead of assuming 127.77.0.1: another verify run on the machine
 * (a second suite run, a user's verify) sends this one to other addresses.
 */
export function addressesLockedBy(pid: number): string[] {
  let files: string[];
  try {
    files = fs.readdirSync(ADDRESS_LOCK_DIR);
  } catch {
    return [];
  }
  const held: string[] = [];
  for (const f of files) {
    if (!f.endsWith('.lock')) continue;
    try {
      if (fs.readFileSync(path.join(ADDRESS_LOCK_DIR, f), 'utf8') === String(pid)) held.push(f.slice(0, -'.lock'.length));
    } catch { /* released meanwhile */ }
  }
  return held;
}

/** Whether `address` is locked by any verify run now. */
export function locked(address: string): boolean {
  return fs.existsSync(path.join(ADDRESS_LOCK_DIR, `${address}.lock`));
}

/** Binds `host:port` exclusively and releases it; rejects with the bind error (EADDRINUSE when something still listens). */
export function bindOnce(host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
