/**
 * `meshproof diff <base> <head> [--format text|json|markdown] [-o file]`: the semantic diff of two
 * synthesized trees (typically the base branch's dist/ and the pull request's): objects added,
 * removed and changed by identity, changed fields before → after, and each VirtualService route's
 * traffic split before → after. Exit 0 when the meshes are the same, 1 when they differ, 2 when a
 * side cannot be read (missing path, unparsable YAML) or holds no Kubernetes object (an empty or wrong
 * checkout would otherwise read as "every object removed"; `--allow-empty` compares it anyway).
 * The `exclude` globs of meshproof.config.yaml (found as `check` finds it) leave files out of both sides.
 */
import { parseArgs } from './args.js';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, type ExitCode } from '../checks/exit-code.js';
import { type LoadedTree, loadTree } from '../diff/load-tree.js';
import { DIFF_FORMATS, renderDiff, type DiffFormat } from '../diff/render.js';
import { diffMeshes, isEmptyDiff } from '../diff/semantic-diff.js';
import { assertWritable, OUTPUT_OPTIONS, writeFileAtomic, type CliIO } from './io.js';
import { assertOutsideInputs } from './out-path.js';
import { formatOfOutput } from './output-format.js';
import { UsageError } from './usage.js';
import { basename, resolve } from 'node:path';
import { ruleCatalogue } from '../checks/check.js';
import { findConfigFile, loadConfigFile } from '../checks/config/index.js';

export async function diffCommand(args: string[], io: CliIO): Promise<ExitCode> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { format: { type: 'string' }, output: { type: 'string', short: 'o' }, 'max-fields': { type: 'string' }, 'allow-empty': { type: 'boolean' }, ...OUTPUT_OPTIONS },
  });
  if (positionals.length !== 2) throw new UsageError(`diff takes two paths, the base and the head (e.g. meshproof diff base/dist dist); got ${positionals.length}`);
  const format = (values.format ?? formatOfOutput(values.output, DIFF_FORMATS) ?? 'text') as DiffFormat;
  if (!(DIFF_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${DIFF_FORMATS.join(', ')}; got "${values.format}"`);
  const maxFields = values['max-fields'] === undefined ? undefined : Number(values['max-fields']);
  if (maxFields !== undefined && !(Number.isInteger(maxFields) && maxFields > 0)) throw new UsageError(`--max-fields must be a whole number of at least 1; got "${values['max-fields']}"`);
  const [basePath, headPath] = positionals as [string, string];
  if (values.output !== undefined) {
    const out = resolve(io.cwd, values.output);
    assertOutsideInputs({
      command: 'diff', flag: '--output', given: values.output, out, inputs: [basePath, headPath], cwd: io.cwd,
      consequence: 'the diff would be read back as input by the next diff or check and synced to the cluster with them', example: basename(out),
    });
    assertWritable(out, values.output);
  }
  // The config's exclude globs leave files out of both sides, as they leave them out of `check`: a
  // file is left out when a glob matches its own path or the path it has in the other tree.
  const configFile = findConfigFile(io.cwd);
  const exclude = configFile ? loadConfigFile(configFile, ruleCatalogue(), io.cwd).exclude ?? [] : [];
  const [base, head] = await Promise.all([
    loadTree(basePath, io.cwd, { exclude, counterpart: headPath }),
    loadTree(headPath, io.cwd, { exclude, counterpart: basePath }),
  ]);
  const problems = [...base.problems.map((p) => ({ side: 'base', p })), ...head.problems.map((p) => ({ side: 'head', p }))];
  if (problems.length > 0) {
    // An unreadable path has no line to point at ("cannot read head: no such file or directory" names it).
    for (const { side, p } of problems) io.stderr.write(`diff: ${side}: ${p.location && p.code !== 'input/unreadable' ? `${p.location.file}:${p.location.line}: ` : ''}${p.message}\n`);
    io.stderr.write('diff: cannot compare: fix the input above (a diff of half-read trees would be wrong)\n');
    return EXIT_USAGE;
  }
  if (values['allow-empty'] !== true) {
    const empty = emptySides({ path: basePath, tree: base }, { path: headPath, tree: head });
    if (empty.length > 0) {
      for (const line of empty) io.stderr.write(`diff: ${line}\n`);
      return EXIT_USAGE;
    }
  }
  const d = diffMeshes(base.objects, head.objects);
  const text = renderDiff(d, format, { maxFields });
  if (values.output !== undefined) {
    try {
      writeFileAtomic(resolve(io.cwd, values.output), text);
    } catch (e) {
      throw new UsageError(`--output ${values.output}: cannot write the diff: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  } else io.stdout.write(text);
  return isEmptyDiff(d) ? EXIT_OK : EXIT_FINDINGS;
}

/** Why each side without a Kubernetes object cannot be compared, as `check` refuses an empty input. */
function emptySides(base: { path: string; tree: LoadedTree }, head: { path: string; tree: LoadedTree }): string[] {
  const out: string[] = [];
  for (const [side, { path, tree }, other] of [['base', base, head], ['head', head, base]] as const) {
    if (tree.objects.length > 0) continue;
    const read = tree.files === 0 ? 'no manifest file (.yaml, .yml, .json) was found' : `${tree.files} file${tree.files === 1 ? '' : 's'} read`;
    const n = other.tree.objects.length;
    const would = n === 0 ? 'the diff would be empty' : `every object of the ${side === 'base' ? 'head would show as added' : 'base would show as removed'} (${n})`;
    out.push(`${side}: no Kubernetes objects in ${path} (${read}), so there is nothing to compare: ${would}. Check the path (an empty or wrong checkout?), or pass --allow-empty if an empty ${side} is expected`);
  }
  return out;
}
