/**
 * `meshproof map [paths...] --out <file.html>`: every host's traffic (entry points → routes with
 * their matches → destinations with weights, mirrors, faults, timeouts, retries) as one static HTML
 * page that opens offline, with links to the YAML and TypeScript lines. Exit 0 written, 2 when the
 * input cannot be read.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from './args.js';
import { EXIT_OK, EXIT_USAGE, type ExitCode } from '../checks/exit-code.js';
import { loadTree } from '../diff/load-tree.js';
import { MeshGraph } from '../mesh/graph.js';
import { mapPage } from '../map/html.js';
import { trafficMap } from '../map/traffic.js';
import { assertWritable, writeFileAtomic, type CliIO } from './io.js';
import { UsageError } from './usage.js';

export async function mapCommand(args: string[], io: CliIO): Promise<ExitCode> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { out: { type: 'string', short: 'o' }, title: { type: 'string' } } });
  if (values.out === undefined) throw new UsageError('--out <file.html> is required (e.g. meshproof map dist --out map.html)');
  const out = resolve(io.cwd, values.out);
  try {
    mkdirSync(dirname(out), { recursive: true });
  } catch (e) {
    throw new UsageError(`--out ${values.out}: cannot create its folder: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  assertWritable(out, values.out);
  const objects = [];
  for (const p of positionals.length > 0 ? positionals : ['dist']) {
    const tree = await loadTree(p, io.cwd);
    if (tree.problems.length > 0) {
      for (const pr of tree.problems) io.stderr.write(`meshproof map: ${pr.location ? `${pr.location.file}:${pr.location.line}: ` : ''}${pr.message}\n`);
      return EXIT_USAGE;
    }
    objects.push(...tree.objects);
  }
  const hosts = trafficMap(new MeshGraph(objects));
  try {
    writeFileAtomic(out, mapPage(hosts, { outDir: dirname(out), projectRoot: io.cwd, ...(values.title ? { title: values.title } : {}) }));
  } catch (e) {
    throw new UsageError(`--out ${values.out}: cannot write the map: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  io.stderr.write(`meshproof map: ${hosts.length} hosts, ${hosts.reduce((n, h) => n + h.routes.length, 0)} routes written to ${values.out}\n`);
  return EXIT_OK;
}
