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
