/**
 * `meshproof diff <base> <head> [--format text|json|markdown] [-o file]`: the semantic diff of two
 * synthesized trees (typically the base branch's dist/ and the pull request's): objects added,
 * removed and changed by identity, changed fields before → after, and each VirtualService route's
 * traffic split before → after. Exit 0 when the meshes are the same, 1 when they differ, 2 when a
 * side cannot be read (missing path, unparsable YAML).
 */
import { parseArgs } from './args.js';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, type ExitCode } from '../checks/exit-code.js';
import { loadTree } from '../diff/load-tree.js';
import { DIFF_FORMATS, renderDiff, type DiffFormat } from '../diff/render.js';
import { diffMeshes, isEmptyDiff } from '../diff/semantic-diff.js';
import { writeFileAtomic, type CliIO } from './io.js';
import { UsageError } from './usage.js';
import { resolve } from 'node:path';

export async function diffCommand(args: string[], io: CliIO): Promise<ExitCode> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { format: { type: 'string' }, output: { type: 'string', short: 'o' }, 'max-fields': { type: 'string' } },
  });
  if (positionals.length !== 2) throw new UsageError(`diff takes two paths, the base and the head (e.g. meshproof diff base/dist dist); got ${positionals.length}`);
  const format = (values.format ?? 'text') as DiffFormat;
  if (!(DIFF_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${DIFF_FORMATS.join(', ')}; got "${values.format}"`);
  const maxFields = values['max-fields'] === undefined ? undefined : Number(values['max-fields']);
  if (maxFields !== undefined && !(Number.isInteger(maxFields) && maxFields > 0)) throw new UsageError(`--max-fields must be a whole number of at least 1; got "${values['max-fields']}"`);
  const [basePath, headPath] = positionals as [string, string];
  const [base, head] = await Promise.all([loadTree(basePath, io.cwd), loadTree(headPath, io.cwd)]);
  const problems = [...base.problems.map((p) => ({ side: 'base', p })), ...head.problems.map((p) => ({ side: 'head', p }))];
  if (problems.length > 0) {
    for (const { side, p } of problems) io.stderr.write(`meshproof diff: ${side}: ${p.location ? `${p.location.file}:${p.location.line}: ` : ''}${p.message}\n`);
    io.stderr.write('meshproof diff: cannot compare: fix the input above (a diff of half-read trees would be wrong)\n');
    return EXIT_USAGE;
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
