/**
 * Output paths kept out of the manifests a command reads. dist/ is the folder `cdk8s synth`
 * publishes and Argo CD syncs; a report, map or runtime manifest written into it (or into any other
 * input folder) would be read back as input by the next `check`, `verify` or `xds compile` (they
 * read folders recursively, `.json` included), synced to the cluster with the manifests, and
 * removed by the next synth. Shared by every command that writes files.
 */
import { realpathSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import { UsageError } from './usage.js';

/** The folder `cdk8s synth` publishes and Argo CD syncs, relative to the working directory (MeshApp's default outdir). */
export const SYNCED_DIR = 'dist';

/**
 * `p` with every symlink resolved; for a path that does not exist (yet), its deepest existing
 * ancestor resolved and the rest appended, so `out/report.json` under a linked `out` resolves too.
 */
export function realPathOf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    const parent = dirname(p);
    return parent === p ? p : join(realPathOf(parent), basename(p));
  }
}

/**
 * The first of `inputs` (paths as given on the command line, resolved against `cwd`; `-` for
 * stdin is skipped) that `out` (absolute) is or lies under, as written or once symlinks are
 * resolved (an output that is a link to an input file, or lies in a linked input folder);
 * undefined when none.
 */
export function inputHolding(out: string, inputs: readonly string[], cwd: string): string | undefined {
  const realOut = realPathOf(out);
  const within = (o: string, input: string) => o === input || o.startsWith(`${input}${sep}`);
  return inputs.find((p) => {
    if (p === '-') return false;
    const input = resolve(cwd, p);
    return within(out, input) || within(realOut, realPathOf(input));
  });
}

/** Whether `p` is an existing regular file (through symlinks). */
function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** What {@link assertOutsideInputs} needs to name the problem and the fix. */
export interface OutsideInputs {
  /** The command as typed, for the message: `check`, `map`, `runtime synth`. */
  readonly command: string;
  /** The flag as documented: `--output`, `--out`. */
  readonly flag: string;
  /** The flag's value as given. */
  readonly given: string;
  /** That value resolved against the working directory. */
  readonly out: string;
  /** The paths the command reads, as given (the default `dist` when none was). */
  readonly inputs: readonly string[];
  readonly cwd: string;
  /** What would go wrong, e.g. `the report would be read as a manifest by the next check and synced with them`. */
  readonly consequence: string;
  /** `it` or `them`: what is written. */
  readonly pronoun?: 'it' | 'them';
  /** A place outside, for the fix: `report.sarif`, `build/runtime` (replaced by one beside the input folder when it is inside it too). */
  readonly example: string;
  /**
   * `folder`: the output is a folder of manifests or dumps (`runtime synth`, `xds compile`), refused
   * inside any input folder. Default `file`: one file, refused inside an input folder other than
   * dist/ only when a folder walk would read it (`.yaml`, `.yml`, `.json`, as `src/mesh/read.ts`), so
   * `check . -o report.txt` is fine and `check . -o report.json` is not.
   */
  readonly writes?: 'file' | 'folder';
}

/** Extensions a folder walk reads as manifests (exactly, as kubectl and Argo CD match them). */
const READ_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/**
 * Throws a UsageError (exit 2) when `o.out` is, or lies inside, one of `o.inputs` or the synced
 * dist/ of the working directory (inside an input folder other than dist/, a single file only when a
 * folder walk would read it, see {@link OutsideInputs.writes}): `check: --output dist/r.sarif is inside dist, the manifests it
 * reads: …; write it outside it, e.g. --output r.sarif`; or when it is an input file itself, as
 * written or through a symlink (`check self.yaml -o self.yaml`: `… is self.yaml, a manifest check
 * reads (the same file): writing would replace it; …`). Called before anything is read or written.
 */
export function assertOutsideInputs(o: OutsideInputs): void {
  const inside = inputHolding(o.out, [...o.inputs, SYNCED_DIR], o.cwd);
  if (inside === undefined) return;
  const input = resolve(o.cwd, inside);
  if (isFile(input)) {
    // The output is the input file itself (or a symlink to it): writing would replace the manifest.
    const how = o.out === input ? 'the same file' : 'the same file through a symlink';
    const ext = extname(o.out);
    const other = `${basename(o.out, ext)}.${o.command.split(' ')[0]}-output${ext}`;
    throw new UsageError(`${o.command}: ${o.flag} ${o.given} is ${inside}, a manifest ${o.command} reads (${how}): writing would replace it; write ${o.pronoun ?? 'it'} to another file, e.g. ${o.flag} ${other}`);
  }
  const synced = inputHolding(o.out, [SYNCED_DIR], o.cwd) !== undefined;
  // A file no folder walk reads (report.txt, map.html, report.sarif) does no harm in a folder that is only read.
  if (!synced && (o.writes ?? 'file') === 'file' && !READ_EXTENSIONS.has(extname(o.out))) return;
  const reads = o.inputs.includes(inside) ? 'the manifests it reads' : 'the folder cdk8s synth publishes and Argo CD syncs';
  // The suggested place must itself be outside: next to the input folder when the default example is inside it.
  const example = inputHolding(resolve(o.cwd, o.example), [...o.inputs, SYNCED_DIR], o.cwd) === undefined ? o.example
    : relative(o.cwd, join(dirname(input), basename(o.out))) || basename(o.out);
  throw new UsageError(`${o.command}: ${o.flag} ${o.given} is inside ${inside}, ${reads}: ${o.consequence}; write ${o.pronoun ?? 'it'} outside it, e.g. ${o.flag} ${example}`);
}
