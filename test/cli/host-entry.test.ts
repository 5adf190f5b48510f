/**
 * `verify --netns` spawns the workload host module (src/verify/runtime/workload-host.ts). The
 * compiled CLI runs from lib/bundle/meshproof.cjs, whose `import.meta.url` scripts/build-bundle.mjs
 * defines as the bundle's own file: the host module must then be found in lib/src, not next to the
 * bundle. Proven on the resolution function and on a real esbuild bundle made with the build's
 * own `define` and banner.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hostCommand, hostEntryFor } from '../../src/verify/runtime/remote-workload.js';
import { ROOT } from '../_project.js';

// @ts-expect-error: a plain ES module of the build, without type declarations
const { bundleOptions } = (await import('../../scripts/build-bundle.mjs')) as { bundleOptions(): { define: Record<string, string>; banner: { js: string } } };

const BUNDLE_URL = 'file:///opt/pkg/node_modules/meshproof/lib/bundle/meshproof.cjs';

test('GIVEN the bundle URL WHEN the host module is resolved THEN it is lib/src/verify/runtime/workload-host.js, where the bundle resolves its outside imports', () => {
  const entry = hostEntryFor(BUNDLE_URL, '/opt/pkg/node_modules/meshproof/bin/meshproof.js');
  assert.is(entry, '/opt/pkg/node_modules/meshproof/lib/src/verify/runtime/workload-host.js');
  // The same rule as build-bundle's outside imports: new URL("../src/<rel>", bundle URL).
  assert.is(entry, fileURLToPath(new URL('../src/verify/runtime/workload-host.js', BUNDLE_URL)));
  assert.not.match(entry, /lib\/bundle\//);
});

test('GIVEN a lib/src or a sources URL WHEN the host module is resolved THEN it is the module next to remote-workload, .js or .ts alike', () => {
  assert.is(hostEntryFor('file:///p/lib/src/verify/runtime/remote-workload.js', undefined), '/p/lib/src/verify/runtime/workload-host.js');
  assert.is(hostEntryFor('file:///p/src/verify/runtime/remote-workload.ts', undefined), '/p/src/verify/runtime/workload-host.ts');
  assert.is(hostEntryFor(undefined, '/p/bin/meshproof.js'), '/p/lib/src/verify/runtime/workload-host.js');
});

test('GIVEN the sources (tsx) WHEN hostCommand runs THEN it names this Node, its loader flags and the existing workload-host.ts', () => {
  const cmd = hostCommand();
  assert.is(cmd[0], process.execPath);
  assert.is(cmd.at(-1), path.join(ROOT, 'src/verify/runtime/workload-host.ts'));
  assert.ok(fs.existsSync(cmd.at(-1)!));
});

test('GIVEN remote-workload bundled with the build\'s define and banner WHEN hostCommand runs inside the bundle THEN it finds lib/src/verify/runtime/workload-host.js, and names it when missing', async () => {
  const opts = bundleOptions();
  // The premise of the fix: the bundle's import.meta.url is a string, the bundle file's URL.
  assert.is(opts.define['import.meta.url'], '__meshproof_url');
  assert.match(opts.banner.js, /__meshproof_url = require\("url"\)\.pathToFileURL\(__filename\)\.href/);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-host-entry-'));
  try {
    const bundle = path.join(tmp, 'lib', 'bundle', 'meshproof.cjs');
    const esbuild = await import('esbuild');
    await esbuild.build({
      entryPoints: [path.join(ROOT, 'src/verify/runtime/remote-workload.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20',
      outfile: bundle, logLevel: 'silent', define: opts.define, banner: opts.banner,
    });
    const load = () => {
      const req = createRequire(pathToFileURL(bundle).href);
      delete req.cache[bundle];
      return req(bundle) as { hostCommand(): string[] };
    };
    const host = path.join(tmp, 'lib', 'src', 'verify', 'runtime', 'workload-host.js');
    assert.throws(() => load().hostCommand(), (e: Error) => e.message.includes(`cannot find the workload host module at ${host}`));
    fs.mkdirSync(path.dirname(host), { recursive: true });
    fs.writeFileSync(host, '');
    assert.is(load().hostCommand().at(-1), host);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test.run();
