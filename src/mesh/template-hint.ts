import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { problem, type InputProblem, type InputProblemCode } from './problems.js';

/** Problems an unrendered template typically causes: `{{ x }}` is a YAML flow mapping, `{{- if }}` breaks the syntax. */
const SYMPTOMS: ReadonlySet<InputProblemCode> = new Set(['input/syntax', 'input/missing-field', 'input/not-an-object', 'input/duplicate-key', 'input/not-a-manifest']);

/** `{{ … }}` (Helm, Go text/template, also `{{- … -}}`) on one line. */
const TEMPLATE = /\{\{-?\s*[^{}\n]*?\s*-?\}\}/;

/** Files larger than this are not re-read for the hint (the budget of one YAML file is far above any chart template). */
const MAX_BYTES = 4 * 1024 * 1024;

/** What {@link templateHints} reads of a parsed object. */
export interface TemplatedObject {
  readonly file: string;
  readonly body: Readonly<Record<string, unknown>>;
  readonly location: { readonly line: number };
}

/**
 * One `input/template` error for each file that has a problem an unrendered Helm/Go template causes
 * (malformed YAML, no metadata.name, …) or an object named `{{ … }}` (a template with every `{{ }}` quoted), and holds `{{ … }}`: naming the first template line and how to
 * render it, so the reader is not left with the YAML parser's "Implicit keys need to be on a single line"
 * or "document 0 has no metadata.name". `cwd` resolves the problem's file as given on the command line;
 * stdin (`-`) and unreadable files get no hint. Never throws.
 */
export function templateHints(problems: readonly InputProblem[], cwd: string, objects: readonly TemplatedObject[] = []): InputProblem[] {
  const files = new Map<string, Set<number>>();
  const symptom = (file: string, line: number) => {
    if (file !== '-') files.set(file, (files.get(file) ?? new Set()).add(line));
  };
  for (const p of problems) if (SYMPTOMS.has(p.code)) symptom(p.location.file, p.location.line);
  // A template whose `{{ }}` are all quoted parses: its objects are named "{{ .Values.name }}".
  for (const o of objects) {
    const meta = o.body.metadata as Record<string, unknown> | undefined;
    if ([meta?.name, meta?.namespace].some((v) => typeof v === 'string' && TEMPLATE.test(v))) symptom(o.file, o.location.line);
  }
  const out: InputProblem[] = [];
  for (const [file, problemLines] of files) {
    const text = readHead(path.resolve(cwd, file));
    if (text === undefined) continue;
    const lines = text.split('\n');
    const isTemplate = (l: string) => TEMPLATE.test(l) && !/^\s*#/.test(l);
    // The template line a problem points at (`{{- if }}` that broke the syntax), else the first one.
    const pointed = lines.findIndex((l, i) => problemLines.has(i + 1) && isTemplate(l));
    const at = pointed >= 0 ? pointed : lines.findIndex(isTemplate);
    if (at < 0) continue;
    const match = TEMPLATE.exec(lines[at]!)!;
    const snippet = match[0].length > 60 ? `${match[0].slice(0, 57)}…` : match[0];
    out.push(problem('input/template',
      `line ${at + 1}: "${snippet}" looks like an unrendered Helm/Go template, so this file is not a manifest yet (YAML reads an unquoted "{{ … }}" as a nested mapping, "{{- if }}" lines break the syntax, a quoted one becomes the name) and its other errors follow from it. ` +
      'Render it first (helm template <release> <chart> > rendered.yaml, then meshproof check rendered.yaml), or exclude the template folder (exclude: in meshproof.config.yaml, or --exclude)',
      { file, line: at + 1, column: match.index + 1 }));
  }
  return out;
}

function readHead(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = Math.min(fstatSync(fd).size, MAX_BYTES);
    const buf = Buffer.alloc(size);
    const n = readSync(fd, buf, 0, size, 0);
    return buf.subarray(0, n).toString('utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
