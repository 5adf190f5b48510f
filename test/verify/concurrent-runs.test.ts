/**
 * Two verify runs at once on one machine (two terminals, parallel CI jobs): each process takes its
 * own loopback addresses, so neither proxy fails to bind with EADDRINUSE.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from './_dist.js';
import { PROOF_OPTIONS } from './_proof.js';

const ID = 'customers/customers-canary#customers-canary-pinned.reaches';

/** One verify process proving `ID` with traffic: its verdict as JSON on stdout, or its error. */
const CHILD = `
import * as fs from 'node:fs';
const root = ${JSON.stringify(ROOT)};
const { MeshGraph } = await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'src/mesh/graph.ts')).href)});
const { loadInputs } = await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'src/mesh/load.ts')).href)});
const { createRuntime } = await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'src/verify/runtime/index.ts')).href)});
const e = JSON.parse(fs.readFileSync(root + '/.meshproof/expectations.json', 'utf8')).expectations.find((x) => x.id === ${JSON.stringify(ID)});
const graph = MeshGraph.from((await loadInputs([root + '/dist'], { cwd: root })).files);
try {
  const { verdicts } = await createRuntime().run(graph, [e], () => {}, ${JSON.stringify(PROOF_OPTIONS)});
  process.stdout.write(JSON.stringify(verdicts.get(e.id)));
} catch (err) {
  process.stdout.write(JSON.stringify({ status: 'error', detail: err.message }));
}
`;

function verifyProcess(): Promise<{ status: string; detail: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('error', reject);
    child.on('close', () => {
      try {
        resolve(JSON.parse(out) as { status: string; detail: string });
      } catch {
        reject(new Error(`no verdict from the verify process: ${out}`));
      }
    });
  });
}

test('GIVEN two verify processes of the same dist/ started together WHEN both start their workloads and callers THEN both prove the promise (no address is bound by both)', async () => {
  const verdicts = await Promise.all([verifyProcess(), verifyProcess()]);
  for (const v of verdicts) assert.is(v.status, 'held', v.detail);
});

test.run();
