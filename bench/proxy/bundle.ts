/**
 * The proxy under test runs as users run it: compiled JavaScript in one CommonJS bundle (as
 * scripts/build-bundle.mjs makes lib/bundle/meshproof.cjs), built here from the current sources
 * with esbuild so the bench needs no `npm run build`. Running it under tsx instead would add
 * tsx's `__name` helper call to every closure created per request (keepNames), which the shipped
 * CLI does not pay.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes `<dir>/meshproof-proxy.cjs` (the CLI from `<root>/src`) and returns its path. */
export async function bundleCli(root: string, dir: string): Promise<string> {
  const esbuild = await import('esbuild');
  const out = join(dir, 'meshproof-proxy.cjs');
  const result = await esbuild.build({
    stdin: {
      contents: "import { main, processIO } from './src/cli/main.ts';\nmain(process.argv.slice(2), processIO()).then((code) => { process.exitCode = code; });\n",
      resolveDir: root, sourcefile: 'bench-proxy-entry.ts', loader: 'ts',
    },
    bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false, logLevel: 'silent', legalComments: 'none',
    define: { 'import.meta.url': '__meshproof_url' },
    banner: { js: `var __meshproof_url = ${JSON.stringify(`file://${join(root, 'src', 'cli', 'main.ts')}`)};` },
  });
  writeFileSync(out, result.outputFiles[0]!.text);
  return out;
}
