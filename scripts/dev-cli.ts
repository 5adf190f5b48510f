// Runs the CLI straight from the TypeScript sources (no compile of src/), for development:
//   node --import tsx scripts/dev-cli.ts <command> [args…]
// The shipped executable is bin/meshproof.js, which runs the compiled lib/. The CRD validators are
// generated code that only `npm run build` writes (lib/generated/crds/); without them every Istio
// and Gateway API object would be reported as an unknown kind, so this refuses to start instead.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { main, processIO } from '../src/cli/main.js';

const generated = join(import.meta.dirname, '..', 'lib', 'generated', 'crds');
if (!existsSync(generated) && !['--help', '-h', '--version', '-V', undefined].includes(process.argv[2])) {
  process.stderr.write(`meshproof (dev): the generated CRD validators are missing (${generated}); run \`npm run build\` once, then retry\n`);
  process.exitCode = 2;
} else {
  process.exitCode = await main(process.argv.slice(2), processIO());
}
