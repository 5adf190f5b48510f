#!/usr/bin/env node
// Runs the TypeScript CLI directly: tsx compiles src/ on the fly, so there is no build step.
import { register } from 'tsx/esm/api';

register();
try {
  const { main, processIO } = await import('../src/cli/main.ts');
  process.exitCode = await main(process.argv.slice(2), processIO());
} catch (e) {
  // Only a broken installation gets here (main() reports its own errors); exit 2, never "passed".
  process.stderr.write(`meshproof: cannot start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 2;
}
