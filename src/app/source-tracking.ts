import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Node, type IConstruct } from 'constructs';

/**
 * Records where in the user's TypeScript each construct was created, so that findings on a
 * synthesized object can point at the line of `apps/…` that produced it.
 *
 * constructs has no creation hook, so this wraps `Node.prototype.addChild`, which every
 * construct constructor calls exactly once. Only the structured stack is captured there (cheap);
 * it is formatted, and thus source-mapped by Node, only for the objects that are looked up.
 */
const CAPTURED = new WeakMap<IConstruct, { stack?: string }>();
let installed = false;

export function enableSourceTracking(): void {
  if (installed) return;
  installed = true;
  const proto = Node.prototype as unknown as { addChild(child: IConstruct, name: string): void };
  const addChild = proto.addChild;
  proto.addChild = function addChildWithSource(this: Node, child: IConstruct, name: string): void {
    const holder: { stack?: string } = {};
    Error.captureStackTrace(holder, addChildWithSource);
    CAPTURED.set(child, holder);
    addChild.call(this, child, name);
  };
}

/** A position in the project's own TypeScript. `file` is relative to `root`, with `/` separators. */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
}

const FRAME = /\(?((?:file:\/\/)?\/[^():]+|[A-Za-z]:\\[^():]+):(\d+):(\d+)\)?$/;

/**
 * The first frame of the construct's creation stack that lies in the project's own code (not in
 * node_modules, the generated `imports/`, or meshproof's construct library under `src/`), or
 * undefined when tracking was off or no such frame exists.
 */
export function sourceOf(construct: IConstruct, root: string): SourcePosition | undefined {
  return sourceOfStack(CAPTURED.get(construct)?.stack, root);
}

/** The first frame of a V8 `stack` that lies in the project's own code (rules as `sourceOf`). */
export function sourceOfStack(stack: string | undefined, root: string): SourcePosition | undefined {
  if (!stack) return undefined;
  for (const line of stack.split('\n').slice(1)) {
    const m = FRAME.exec(line.trim());
    if (!m) continue;
    const abs = m[1]!.startsWith('file://') ? fileURLToPath(m[1]!) : m[1]!;
    const rel = path.relative(root, abs).split(path.sep).join('/');
    if (rel.startsWith('..') || path.isAbsolute(rel)) continue;
    if (/(^|\/)node_modules\//.test(rel) || rel.startsWith('imports/') || rel.startsWith('src/')) continue;
    return { file: rel, line: Number(m[2]) };
  }
  return undefined;
}

/** What made one part of an object: a captured call stack (`addRoute`), or a construct (where it was created). */
export type FieldMaker = { readonly stack: string } | { readonly construct: IConstruct };

const FIELD_MAKERS = new WeakMap<IConstruct, () => Readonly<Record<string, FieldMaker>>>();

/**
 * Registers, for an ApiObject, what made its parts, by field path joined with dots (`spec.http.2`),
 * asked for at synth time (`makers` runs then, when parts added after construction are known).
 * The source map records their TypeScript lines (`SourceOrigin.fields`) so findings on a part
 * point at the line that made it. A construct registers for the objects it renders (RouteTable).
 */
export function registerFieldMakers(object: IConstruct, makers: () => Readonly<Record<string, FieldMaker>>): void {
  FIELD_MAKERS.set(object, makers);
}

/**
 * The TypeScript lines of the parts of `object` registered with {@link registerFieldMakers} whose
 * line differs from `own` (the object's), in field path order; undefined when none.
 */
export function fieldSourcesOf(object: IConstruct, root: string, own: SourcePosition | undefined): Record<string, SourcePosition> | undefined {
  const makers = FIELD_MAKERS.get(object)?.();
  if (!makers) return undefined;
  const out: Record<string, SourcePosition> = {};
  for (const key of Object.keys(makers).sort()) {
    const maker = makers[key]!;
    const at = 'stack' in maker ? sourceOfStack(maker.stack, root) : sourceOf(maker.construct, root);
    if (at && (at.file !== own?.file || at.line !== own?.line)) out[key] = at;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
