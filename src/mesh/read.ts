import { isUtf8 } from 'node:buffer';
import { promises as fs, type Dirent } from 'node:fs';
import path from 'node:path';
import { problem, type InputProblem } from './problems.js';

/** A file found on disk (or stdin), not yet read. */
export interface InputFile {
  /** As given, or joined from the directory given; `-` for stdin. */
  readonly file: string;
  /** Absolute path; null for stdin. */
  readonly absolutePath: string | null;
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/**
 * Expands command-line paths into files: directories recursively (`.yaml`, `.yml`, `.json`;
 * entries sorted by name; `node_modules` and dot-entries skipped; symlink loops reported), files
 * as given, `-` for stdin. A file reached twice is read once.
 */
export async function expandPaths(paths: readonly string[], cwd: string): Promise<{ files: InputFile[]; problems: InputProblem[] }> {
  const files: InputFile[] = [];
  const problems: InputProblem[] = [];
  const seen = new Set<string>();
  const add = async (file: string, abs: string) => {
    const real = await fs.realpath(abs).catch(() => abs);
    if (seen.has(real)) return;
    seen.add(real);
    files.push({ file, absolutePath: abs });
  };
  const walk = async (dir: string, abs: string, ancestors: ReadonlySet<string>): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(abs, { withFileTypes: true });
    } catch (e) {
      problems.push(unreadable(dir, e));
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const file = path.join(dir, entry.name);
      const entryAbs = path.join(abs, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          const st = await fs.stat(entryAbs);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch (e) {
          problems.push(unreadable(file, e));
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
        await add(file, entryAbs);
      }
    }
  };
  for (const p of paths) {
    if (p === '-') {
      files.push({ file: '-', absolutePath: null });
      continue;
    }
    const abs = path.resolve(cwd, p);
    try {
      const st = await fs.stat(abs);
      if (st.isDirectory()) {
        const real = await fs.realpath(abs);
        await walk(p, abs, new Set([real]));
      } else if (st.isFile()) {
        await add(p, abs);
      } else {
        problems.push(problem('input/unreadable', `${p} is neither a file nor a directory`, at(p)));
      }
    } catch (e) {
      problems.push(unreadable(p, e));
    }
  }
  return { files, problems };
}

/** Reads a file's bytes, refusing files over `maxBytes` before reading them. */
export async function readBytes(input: InputFile, maxBytes: number, stdin?: string | NodeJS.ReadableStream): Promise<Buffer | InputProblem> {
  if (input.absolutePath === null) {
    if (stdin === undefined) return problem('input/unreadable', 'stdin (-) was requested but no input was provided', at('-'));
    if (typeof stdin === 'string') return tooLarge(input.file, Buffer.byteLength(stdin), maxBytes) ?? Buffer.from(stdin, 'utf8');
    return readStream(stdin, maxBytes);
  }
  try {
    const st = await fs.stat(input.absolutePath);
    const big = tooLarge(input.file, st.size, maxBytes);
    if (big) return big;
    return await fs.readFile(input.absolutePath);
  } catch (e) {
    return unreadable(input.file, e);
  }
}

async function readStream(stream: NodeJS.ReadableStream, maxBytes: number): Promise<Buffer | InputProblem> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      size += b.length;
      if (size > maxBytes) return tooLarge('-', size, maxBytes, true)!;
      chunks.push(b);
    }
  } catch (e) {
    return unreadable('-', e);
  }
  return Buffer.concat(chunks);
}

function tooLarge(file: string, size: number, maxBytes: number, partial = false): InputProblem | undefined {
  if (size <= maxBytes) return undefined;
  const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return problem('input/too-large', `${file} is ${partial ? 'over' : ''}${partial ? ' ' : ''}${mib(size)}, over the ${mib(maxBytes)} limit; refused without parsing (raise --max-file-size to check it)`, at(file));
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
