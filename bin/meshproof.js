#!/usr/bin/env node
// The meshproof executable: runs the compiled CLI (lib/, built by `npm run build` at install/pack time;
// load-cli.mjs picks the bundle with a code cache, or the ES modules). This file is CommonJS
// (bin/package.json): a CommonJS entry starts ~40 ms faster than an ES module, which is most of
// what `meshproof --version` costs over a bare `node`.
'use strict';
const command = process.argv[2];
if (command === '--version' || command === '-V') {
  // The same answer main() gives, without loading a module: the most frequent probe of a tool.
  const { readFileSync } = require('node:fs');
  const { join } = require('node:path');
  const { version } = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));
  process.stdout.write(`meshproof ${version}\n`);
} else {
  run().catch((e) => {
    process.stderr.write(`meshproof: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 2;
  });
}

async function run() {
  let main;
  let processIO;
  try {
    // `--help` and a bare `meshproof` load no command: the few ES modules they need start faster
    // than the whole bundle would.
    ({ main, processIO } = command === undefined || command.startsWith('-')
      ? await import('../lib/src/cli/main.js')
      : await (await import('./load-cli.mjs')).loadCli());
  } catch (e) {
    const missing = e && e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('/lib/src/cli/main.js');
    process.stderr.write(missing
      ? 'meshproof: cannot start: the compiled CLI (lib/) is missing; run `npm run build` in the meshproof checkout, or reinstall the package\n'
      : `meshproof: cannot start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(2);
  }
  process.exitCode = await main(process.argv.slice(2), processIO());
}
