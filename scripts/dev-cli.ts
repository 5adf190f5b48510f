// Runs the CLI straight from the TypeScript sources (no `npm run build`), for development:
//   node --import tsx scripts/dev-cli.ts <command> [args…]
// The shipped executable is bin/meshproof.js, which runs the compiled lib/.
import { main, processIO } from '../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2), processIO());
