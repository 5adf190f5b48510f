import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IConstruct } from 'constructs';
import { sourceOf } from '../app/source-tracking.js';
import { PACKAGE_ROOT } from '../package-root.js';

/** Stable codes for construction-time errors, for programs that match on them. */
export type PropErrorCode =
  | 'MP_INVALID_WEIGHT'
  | 'MP_WEIGHT_TOTAL'
  | 'MP_INVALID_DURATION'
  | 'MP_INVALID_PERCENT'
  | 'MP_INVALID_HEADER_NAME'
  | 'MP_INVALID_REGEX'
  | 'MP_INVALID_NAME'
  | 'MP_INVALID_HOST'
  | 'MP_MISSING_VERSION'
  | 'MP_INVALID_PORT'
  | 'MP_INVALID_IMAGE'
  | 'MP_INVALID_ENV'
  | 'MP_INVALID_EXPORT_TO'
  | 'MP_INVALID_RETRY_ON'
  | 'MP_INVALID_IP_BLOCK'
  | 'MP_ALLOWS_EVERYTHING'
  | 'MP_FORBIDDEN_KEY'
  | 'MP_INVALID_PROP';

/**
 * Thrown when a construct is given props that Istio would reject or that cannot mean what the
 * author intended. The message names where (construct path), what (field), the bad value and
 * what would be valid, e.g.
 * `bookinfo/reviews-canary: canaryWeight is 150; expected an integer from 0 to 100`.
 * `formatError` adds the user's `file:line:col` and the code for the one-line synth report.
 */
export class PropError extends Error {
  readonly code: PropErrorCode;
  readonly constructPath: string;
  readonly field: string;
  readonly value: unknown;
  readonly allowed: string;

  constructor(code: PropErrorCode, scope: IConstruct | string, field: string, value: unknown, allowed: string) {
    const where = typeof scope === 'string' ? scope : scope.node.path || '<root>';
    super(`${where}: ${field} is ${showValue(value)}; ${allowed}`);
    // The user's frame can sit below more than Node's default 10 frames (a construct validating a
    // nested prop through helpers), and `formatError` finds the user's line in the stack: take it deep.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = STACK_DEPTH;
    Error.captureStackTrace(this, new.target);
    Error.stackTraceLimit = limit;
    this.name = 'PropError';
    this.code = code;
    this.constructPath = where;
    this.field = field;
    this.value = value;
    this.allowed = allowed;
  }
}

/** Frames a PropError's stack keeps (Node's default is 10). */
const STACK_DEPTH = 100;

const MAX_SHOWN = 160;

/**
 * A bad value as the message shows it: strings quoted, `NaN`, `Infinity` and `-Infinity` as
 * themselves (JSON would print `null`), `missing` for undefined, value classes (Duration) by their
 * own `toString`, long values cut at 160 characters. Never throws, whatever the value holds
 * (cycles, getters that throw, a `toString` that is not a function).
 */
export function showValue(value: unknown): string {
  if (value === undefined) return 'missing';
  let text: string;
  try {
    text = render(value, 0, new Set());
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text;
}

function render(v: unknown, depth: number, seen: Set<unknown>): string {
  switch (typeof v) {
    case 'string': return JSON.stringify(v);
    case 'number': return Object.is(v, -0) ? '-0' : String(v);
    case 'bigint': return `${v}n`;
    case 'boolean': return String(v);
    case 'undefined': return 'undefined';
    case 'function': return `[function ${(v as { name?: unknown }).name || 'anonymous'}]`;
    case 'symbol': return String(v);
    default: break;
  }
  if (v === null) return 'null';
  if (seen.has(v) || depth > 4) return '…';
  seen.add(v);
  const proto = Object.getPrototypeOf(v);
  if (Array.isArray(v)) return `[${v.map((x) => render(x, depth + 1, seen)).join(',')}]`;
  if (proto !== Object.prototype && proto !== null) {
    const own = (v as { toString?: unknown }).toString;
    if (typeof own === 'function' && own !== Object.prototype.toString) return String(own.call(v));
  }
  const entries = Object.keys(v as object).map((k) => `${JSON.stringify(k)}:${render((v as Record<string, unknown>)[k], depth + 1, seen)}`);
  return `{${entries.join(',')}}`;
}

/** A position in the user's code: `file` relative to the project root, 1-based line and column. */
export interface UserPosition {
  readonly file: string;
  readonly line: number;
  readonly column?: number;
}

const FRAME = /\(?((?:file:\/\/)?\/[^():]+|[A-Za-z]:\\[^():]+):(\d+):(\d+)\)?$/;
/** meshproof's own code, wherever it is installed: its frames are never the user's line. */
const OWN_CODE = [path.join(PACKAGE_ROOT, 'src') + path.sep, path.join(PACKAGE_ROOT, 'lib') + path.sep];

/**
 * The first stack frame in the project's own code: under `root`, and not in node_modules, the
 * generated `imports/`, or meshproof's own sources (its construct library). For an error thrown
 * while constructing, that is the `apps/` line that constructed the offending construct.
 */
export function userFrame(stack: string | undefined, root: string = process.cwd()): UserPosition | undefined {
  if (!stack) return undefined;
  for (const raw of stack.split('\n').slice(1)) {
    const m = FRAME.exec(raw.trim());
    if (!m) continue;
    const abs = m[1]!.startsWith('file://') ? fileURLToPath(m[1]!) : m[1]!;
    const rel = path.relative(root, abs).split(path.sep).join('/');
    if (rel.startsWith('..') || path.isAbsolute(rel) || OWN_CODE.some((own) => abs.startsWith(own))) continue;
    if (/(^|\/)node_modules\//.test(rel) || rel.startsWith('imports/')) continue;
    return { file: rel, line: Number(m[2]), column: Number(m[3]) };
  }
  return undefined;
}

const at = (p: UserPosition | undefined) => (p === undefined ? '' : `${p.file}:${p.line}${p.column !== undefined ? `:${p.column}` : ''} `);

/** Options of `formatError`. */
export interface FormatErrorOptions {
  /** Project root that file names are relative to. @default process.cwd() */
  readonly root?: string;
  /** Append the stack trace. @default Boolean(process.env.DEBUG) */
  readonly debug?: boolean;
  /** The app, to find constructs named in cdk8s validation errors and the line that created them. @default none */
  readonly app?: IConstruct;
}

const VALIDATION_HEADER = 'Validation failed with the following errors:';
const VALIDATION_LINE = /^\s*\[([^\]]*)\] (.*)$/;

/**
 * The synth report for an error, one line per problem:
 * `apps/shop.ts:14:5 shop/cart-canary: canaryWeight is 120; expected an integer 0–100 [MP_INVALID_WEIGHT]`.
 * A PropError starts at the user's line that constructed the offending construct; each entry of a
 * cdk8s validation failure at the line that created the construct it names; anything else at the
 * first user frame of its stack. The stack follows only with `debug`.
 */
export function formatError(err: unknown, opts: FormatErrorOptions = {}): string {
  const root = opts.root ?? process.cwd();
  const debug = opts.debug ?? Boolean(process.env.DEBUG);
  const stack = err instanceof Error ? err.stack : undefined;
  const lines: string[] = [];
  if (err instanceof PropError) {
    lines.push(`${at(userFrame(stack, root))}${err.message} [${err.code}]`);
  } else if (err instanceof Error && err.message.startsWith(VALIDATION_HEADER) && opts.app !== undefined) {
    for (const line of err.message.split('\n').slice(1)) {
      const m = VALIDATION_LINE.exec(line);
      if (!m) continue;
      const construct = findByPath(opts.app, m[1]!);
      const src = construct === undefined ? undefined : sourceOf(construct, root);
      const coded = /\[MP_[A-Z_]+\]$/.test(m[2]!);
      lines.push(`${at(src ?? userFrame(stack, root))}${m[1]}: ${m[2]}${coded ? '' : ' [MP_VALIDATION]'}`);
    }
  }
  if (lines.length === 0) {
    const message = err instanceof Error ? `${err.name}: ${err.message}` : `uncaught ${showValue(err)}`;
    lines.push(`${at(userFrame(stack, root))}${message.replace(/\n\s*/g, ' ')}`);
  }
  if (debug && stack) lines.push(stack);
  return lines.join('\n');
}

function findByPath(app: IConstruct, constructPath: string): IConstruct | undefined {
  let node: IConstruct | undefined = app;
  const rootPath = app.node.path;
  const rel = rootPath && constructPath.startsWith(`${rootPath}/`) ? constructPath.slice(rootPath.length + 1) : constructPath;
  for (const id of rel.split('/').filter((s) => s.length > 0)) {
    node = node.node.tryFindChild(id);
    if (node === undefined) return undefined;
  }
  return node;
}

/**
 * A PropError as a `node.addValidation` message: cdk8s prefixes the construct path itself, so the
 * message starts at the field; the code goes last, as `formatError` prints it.
 */
export function validationMessage(err: PropError): string {
  const prefix = `${err.constructPath}: `;
  return `${err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message} [${err.code}]`;
}

let reporterApp: IConstruct | undefined;
let installed = false;

/**
 * Makes an app process that dies of an uncaught error print `formatError`'s report on stderr
 * instead of Node's stack dump, and exit 1. `cdk8s synth` shows the app's stderr, so a bad prop
 * reads as one line starting at the user's `file:line:col`; set `DEBUG=1` for the stack.
 * Called by `MeshApp`; installing twice is harmless (the latest app is used).
 */
export function installErrorReporter(app?: IConstruct): void {
  reporterApp = app ?? reporterApp;
  if (installed) return;
  installed = true;
  const report = (err: unknown) => {
    try {
      process.stderr.write(`${formatError(err, { app: reporterApp })}\n`);
    } catch {
      process.stderr.write(`${String(err)}\n`);
    }
    process.exitCode = 1;
    // Let stderr drain, but never let a leftover handle keep a failed synth alive.
    setTimeout(() => process.exit(1), 2000).unref();
  };
  process.on('uncaughtException', report);
  process.on('unhandledRejection', report);
}
