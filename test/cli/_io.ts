import { fileURLToPath } from 'node:url';
import type { CliIO } from '../../src/cli/io.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/cli/', import.meta.url));

export interface Captured {
  readonly io: CliIO;
  stdout(): string;
  stderr(): string;
}

/** An in-process CliIO: output captured, no TTY, empty env, a fixed "today". */
export function captureIO(cwd: string, opts: { stdin?: string; env?: Record<string, string>; isTTY?: boolean; today?: string } = {}): Captured {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: { write: (s: string) => (out += s), isTTY: opts.isTTY ?? false },
      stderr: { write: (s: string) => (err += s) },
      stdin: () => [Buffer.from(opts.stdin ?? '')],
      env: opts.env ?? {},
      cwd,
      today: opts.today ?? '2025-06-01',
    },
    stdout: () => out,
    stderr: () => err,
  };
}
