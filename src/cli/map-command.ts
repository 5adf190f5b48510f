/**
 * `meshproof map [paths...] --out <file.html>`: every host's traffic (entry points → routes with
 * their matches → destinations with weights, mirrors, faults, timeouts, retries) as one static HTML
 * page that opens offline, with links to the YAML and TypeScript lines. Exit 0 written, 2 when the
 * input cannot be read, holds no Kubernetes object (unless `--allow-empty`, as `check` and `diff`),
 * or `--out` cannot be written (under a file, a read-only folder); missing folders of `--out` are
 * made when the page is written (as `check --output`). The mesh is the one
 * `meshproof check` reads (meshproof.config.yaml's cluster domain, MeshConfig, context paths);
 * VirtualServices of context files are not drawn.
 */
import { basename, dirname, resolve } from 'node:path';
import { parseArgs } from './args.js';
import { EXIT_OK, EXIT_USAGE, type ExitCode } from '../checks/exit-code.js';
import { loadMesh } from '../checks/api.js';
import { mapPage } from '../map/html.js';
import { trafficMap } from '../map/traffic.js';
import { assertWritable, writeFileAtomic, type CliIO } from './io.js';
import { inputPathProblem, projectAboveHint } from './input-path.js';
import { assertOutsideInputs } from './out-path.js';
import { UsageError } from './usage.js';

export async function mapCommand(args: string[], io: CliIO): Promise<ExitCode> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { out: { type: 'string', short: 'o' }, title: { type: 'string' }, 'allow-empty': { type: 'boolean' } } });
  if (values.out === undefined) throw new UsageError('--out <file.html> is required (e.g. meshproof map dist --out map.html)');
  const out = resolve(io.cwd, values.out);
  const paths = positionals.length > 0 ? positionals : ['dist'];
  for (const p of paths) {
    const problem = inputPathProblem(io.cwd, p);
    if (problem !== undefined) throw new UsageError(positionals.length > 0 ? problem : `no paths given and the default dist/ does not exist in ${io.cwd}${projectAboveHint(io.cwd)}`);
  }
  assertOutsideInputs({
    command: 'map', flag: '--out', given: values.out, out, inputs: paths, cwd: io.cwd,
    consequence: 'the page would be synced to the cluster with them and deleted by the next synth', example: basename(out),
  });
  assertWritable(out, values.out, '--out');
  // The mesh `meshproof check` judges: meshproof.config.yaml's context paths resolve hosts and
  // gateways, its cluster domain names the hosts; only the input's VirtualServices are drawn.
  const model = await loadMesh(paths, { cwd: io.cwd, allowEmpty: true });
  const problems = [...model.problems.filter((p) => p.unusable), ...model.mesh.problems];
  if (problems.length > 0) {
    for (const pr of problems) io.stderr.write(`map: ${pr.location ? `${pr.location.file}:${pr.location.line}: ` : ''}${pr.message}\n`);
    return EXIT_USAGE;
  }
  const files = model.files.length;
  if (model.files.every((f) => f.objects.length === 0) && values['allow-empty'] !== true) {
    const read = files === 0 ? 'no manifest file (.yaml, .yml, .json) was found' : `${files} file${files === 1 ? '' : 's'} read`;
    io.stderr.write(`map: no Kubernetes objects in ${paths.join(' ')} (${read}), so there is nothing to map and no page was written. Check the path, or pass --allow-empty to write an empty map\n`);
    return EXIT_USAGE;
  }
  const context = new Set(model.contextFiles.map((f) => f.file));
  const hosts = trafficMap(model.graph, (vs) => !context.has(vs.file));
  try {
    writeFileAtomic(out, mapPage(hosts, { outDir: dirname(out), projectRoot: io.cwd, ...(values.title ? { title: values.title } : {}) }));
  } catch (e) {
    throw new UsageError(`--out ${values.out}: cannot write the map: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const routes = hosts.reduce((n, h) => n + h.routes.length, 0);
  io.stderr.write(`map: ${hosts.length} host${hosts.length === 1 ? '' : 's'}, ${routes} route${routes === 1 ? '' : 's'} written to ${values.out}\n`);
  return EXIT_OK;
}
