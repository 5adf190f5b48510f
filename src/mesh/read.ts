import { isUtf8 } from 'node:buffer';
import { promises as fs, type Dirent } from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { problem, type InputProblem } from './problems.js';

/** A file found on disk (or stdin), not yet read. */
export interface InputFile {
  /** As given, or joined from the directory given; `-` for stdin. */
  readonly file: string;
  /** Absolute path on disk; null for stdin. */
  readonly absolutePath: string | null;
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** Files that are never manifests, skipped by name with a notice when found in a directory. */
const NOT_MANIFESTS: Readonly<Record<string, string>> = {
  'kustomization.yaml': 'a kustomize configuration: run `kustomize build` and check its output',
  'kustomization.yml': 'a kustomize configuration: run `kustomize build` and check its output',
  'Chart.yaml': 'Helm chart metadata',
  'Chart.lock': 'Helm chart metadata',
};

/** Matches paths (relative to the working directory, forward slashes) against `exclude` globs. */
export function excludeMatcher(globs: readonly string[]): (relative: string) => boolean {
  if (globs.length === 0) return () => false;
  // A glob without a slash matches a file or folder name anywhere (like .gitignore).
  const matchers = globs.map((g) => picomatch(g, { dot: true, basename: !g.includes('/') }));
  return (relative) => matchers.some((m) => m(relative));
}

/**
 * Expands command-line paths into files: directories recursively (`.yaml`, `.yml`, `.json`;
 * entries sorted by name; `node_modules` and dot-entries skipped; symlink loops reported), files
 * as given, `-` for stdin. A file reached twice is read once. Paths matching `exclude` are left
 * out (a path is also left out when `excludeAlsoAs` gives it another name that matches); kustomization
 * files and Helm charts (folders with a Chart.yaml) are skipped with a notice. `refused` counts the
 * symlinks whose target could not be reached (each also an `input/unreadable` problem).
 */
export async function expandPaths(paths: readonly string[], cwd: string, exclude: readonly string[] = [], excludeAlsoAs?: (relative: string) => string | undefined): Promise<{ files: InputFile[]; problems: InputProblem[]; refused: number }> {
  const files: InputFile[] = [];
  const problems: InputProblem[] = [];
  // Symlinks whose target cannot be reached (dangling, permission denied): files refused before
  // parsing, which the summary's "in N files" counts like a binary file.
  let refused = 0;
  const seen = new Set<string>();
  const excluded = excludeMatcher(exclude);
  const isExcluded = (abs: string) => {
    const relative = path.relative(cwd, abs).split(path.sep).join('/');
    if (excluded(relative)) return true;
    const alias = excludeAlsoAs?.(relative);
    return alias !== undefined && excluded(alias);
  };
  const add = async (file: string, abs: string) => {
    const real = await fs.realpath(abs).catch(() => abs);
    if (seen.has(real)) return;
    seen.add(real);
    files.push({ file, absolutePath: abs });
  };
  const notice = (file: string, why: string) =>
    problems.push(problem('input/not-a-manifest', `${file} is ${why}; skipped. Add it to exclude (meshproof.config.yaml or --exclude) to silence this notice`, at(file), 'info', false));
  const walk = async (dir: string, abs: string, ancestors: ReadonlySet<string>): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(abs, { withFileTypes: true });
    } catch (e) {
      problems.push(unreadable(dir, e));
      return;
    }
    if (entries.some((e) => e.name === 'Chart.yaml' && (e.isFile() || e.isSymbolicLink())) && !isExcluded(path.join(abs, 'Chart.yaml'))) {
      notice(dir, 'a Helm chart (it has a Chart.yaml): templates are not manifests until rendered; run `helm template` and check its output');
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const file = path.join(dir, entry.name);
      const entryAbs = path.join(abs, entry.name);
      if (isExcluded(entryAbs)) continue;
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          const st = await fs.stat(entryAbs);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch (e) {
          problems.push(unreadable(file, e));
          refused++;
          continue;
        }
      }
      if (isDir) {
        const real = await fs.realpath(entryAbs).catch(() => entryAbs);
        if (ancestors.has(real)) {
          problems.push(problem('input/directory-loop', `${file} links back to ${real}, which is already being read; skipped`, at(file), 'warning', false));
          continue;
        }
        await walk(file, entryAbs, new Set([...ancestors, real]));
      } else if (isFile && MANIFEST_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) {
        // kubectl apply -f <dir> and Argo CD match the extension case-sensitively: an `.YAML` file in a folder is never applied.
        if (!MANIFEST_EXTENSIONS.has(path.extname(entry.name))) {
          notice(file, `named with an extension kubectl apply -f and Argo CD do not read from a folder (they match .yaml, .yml and .json exactly), so the cluster never gets it: rename it to ${path.basename(entry.name, path.extname(entry.name))}${path.extname(entry.name).toLowerCase()}`);
          continue;
        }
        const why = NOT_MANIFESTS[entry.name];
        if (why) notice(file, why);
        else await add(file, entryAbs);
      }
    }
  };
  for (const p of paths) {
    if (p === '-') {
      files.push({ file: '-', absolutePath: null });
      continue;
    }
    const abs = path.resolve(cwd, p);
    if (isExcluded(abs)) continue;
    try {
      const st = await fs.stat(abs);
      if (st.isDirectory()) {
        const real = await fs.realpath(abs);
        await walk(p, abs, new Set([real]));
      } else if (st.isFile()) {
        const why = NOT_MANIFESTS[path.basename(abs)];
        if (why) notice(p, why);
        else await add(p, abs);
      } else {
        problems.push(problem('input/unreadable', `${p} is neither a file nor a directory`, at(p)));
      }
    } catch (e) {
      problems.push(unreadable(p, e));
      if (await fs.lstat(abs).then((l) => l.isSymbolicLink(), () => false)) refused++;
    }
  }
  return { files, problems, refused };
}

/** What is left of the input budget; shared by every file and stdin of one load. */
export interface ByteBudget {
  readonly limit: number;
  used: number;
}

/** A stream cut while read because it held more documents than allowed: `bytes` ends before `cutAt`'s `---`. */
export interface CutBytes {
  readonly bytes: Buffer;
  /** Byte offset of the `---` that starts the first document past the limit. */
  readonly cutAt: number;
}

/**
 * Reads a file (or stdin) within the byte budget, incrementally: at most `limit - used + 1` bytes
 * are ever held, so an endless stdin or a file that grows while read stops at the limit. With
 * `maxDocuments`, document markers (`---` at the start of a line) are counted as bytes arrive, and
 * reading stops at the first document past `maxDocuments + 1` (so the parser sees one document too
 * many and reports where): `yes -- --- | meshproof check -` stops at the document limit.
 */
export async function readBytes(
  input: InputFile,
  budget: ByteBudget,
  stdin?: string | AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  maxDocuments = Infinity,
): Promise<Buffer | CutBytes | InputProblem> {
  if (input.absolutePath === null) {
    if (stdin === undefined) return problem('input/unreadable', 'stdin (-) was requested but no input was provided', at('-'));
    const source = typeof stdin === 'string' ? [Buffer.from(stdin, 'utf8')] : stdin;
    return readChunks('-', source, budget, maxDocuments);
  }
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(input.absolutePath, 'r');
    const size = (await handle.stat()).size;
    if (budget.used + size > budget.limit) return tooLarge(input.file, budget, size);
    return await readChunks(input.file, handleChunks(handle), budget, maxDocuments);
  } catch (e) {
    return unreadable(input.file, e);
  } finally {
    await handle?.close();
  }
}

async function* handleChunks(handle: fs.FileHandle): AsyncGenerator<Buffer> {
  for (;;) {
    const { bytesRead, buffer } = await handle.read({ buffer: Buffer.allocUnsafe(1 << 20) });
    if (bytesRead === 0) return;
    yield buffer.subarray(0, bytesRead);
  }
}

const MARKER = Buffer.from('\n---');

/**
 * Counts document markers (`---` at the start of a line, then a space, tab or line break) in a
 * stream fed chunk by chunk; `feed` returns the offset of the marker that makes the count exceed
 * `limit`, else -1. A marker split between chunks is found once (the last 4 bytes carry over).
 */
function markerCounter(limit: number): (chunk: Buffer, offset: number) => number {
  let count = 0;
  let carry = Buffer.from('\n'); // the stream start counts as a line start
  return (chunk, offset) => {
    const search = Buffer.concat([carry, chunk]);
    const base = offset - carry.length;
    for (let i = search.indexOf(MARKER); i !== -1; i = search.indexOf(MARKER, i + 1)) {
      const next = search[i + 4];
      if (next === undefined) break;
      if ((next === 0x20 || next === 0x09 || next === 0x0a || next === 0x0d) && ++count > limit) return base + i + 1;
    }
    carry = search.subarray(Math.max(0, search.length - 4));
    return -1;
  };
}

async function readChunks(file: string, source: Iterable<Buffer | string> | AsyncIterable<Buffer | string>, budget: ByteBudget, maxDocuments: number): Promise<Buffer | CutBytes | InputProblem> {
  const chunks: Buffer[] = [];
  const markers = Number.isFinite(maxDocuments) ? markerCounter(maxDocuments + 1) : null;
  let size = 0;
  try {
    for await (const chunk of source) {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      const cut = markers ? markers(b, size) : -1;
      if (cut >= 0 && budget.used + cut <= budget.limit) {
        (source as { destroy?: () => void }).destroy?.();
        chunks.push(b.subarray(0, cut - size));
        budget.used += cut;
        return { bytes: Buffer.concat(chunks, cut), cutAt: cut };
      }
      size += b.length;
      if (budget.used + size > budget.limit) {
        (source as { destroy?: () => void }).destroy?.();
        return tooLarge(file, budget, size, true);
      }
      chunks.push(b);
    }
  } catch (e) {
    return unreadable(file, e);
  }
  budget.used += size;
  return Buffer.concat(chunks, size);
}

/**
 * A byte count as a person reads it: exact bytes below 10 KiB (`1,000 bytes`, `1 byte`), KiB with
 * one decimal below 1 MiB (`512.0 KiB`), else MiB with one decimal (`64.0 MiB`), so a small
 * `--max-input-size` (1KB) is not shown as `0.0 MiB`.
 */
export function formatSize(n: number): string {
  if (n < 10 * 1024) return `${n.toLocaleString('en-US')} byte${n === 1 ? '' : 's'}`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function tooLarge(file: string, budget: ByteBudget, size: number, partial = false): InputProblem {
  const what = partial ? `${file} goes past` : `${file} (${formatSize(size)}) would take the input past`;
  return problem(
    'input/too-large',
    `${what} the input limit of ${formatSize(budget.limit)} (${formatSize(budget.used)} read before it); it and the rest of the input are not checked. Raise --max-input-size (or limits.maxInputSize in meshproof.config.yaml), or check fewer files at once`,
    at(file),
  );
}

/**
 * Decodes UTF-8 text, or explains where it is not text: a NUL byte or an invalid UTF-8 sequence
 * means binary (or UTF-16) content, which YAML and JSON tools would misread.
 */
export function decodeText(file: string, bytes: Buffer): string | InputProblem {
  const nul = bytes.indexOf(0);
  if (nul >= 0) return binary(file, bytes, nul, 'a NUL byte');
  if (!isUtf8(bytes)) return binary(file, bytes, firstInvalidUtf8(bytes), 'an invalid UTF-8 sequence');
  return new TextDecoder('utf-8').decode(bytes);
}

function binary(file: string, bytes: Buffer, offset: number, what: string): InputProblem {
  const before = bytes.subarray(0, offset);
  let line = 1;
  let lastBreak = -1;
  for (let i = before.indexOf(10); i !== -1; i = before.indexOf(10, i + 1)) {
    line++;
    lastBreak = i;
  }
  const column = offset - lastBreak;
  return problem('input/binary', `${file} is not UTF-8 text: ${what} at byte ${offset} (binary file, or another encoding such as UTF-16?)`, { file, line, column });
}

function firstInvalidUtf8(b: Buffer): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (((b[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return Math.max(0, b.length - 1);
}

function at(file: string) {
  return { file, line: 1, column: 1 };
}

function unreadable(file: string, e: unknown): InputProblem {
  const code = (e as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT' ? 'no such file or directory'
    : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
    : code === 'ELOOP' ? 'too many levels of symbolic links'
    : code === 'EISDIR' ? 'is a directory'
    : (e as Error).message;
  return problem('input/unreadable', `cannot read ${file}: ${why}`, at(file));
}
