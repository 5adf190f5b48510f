import type { ParseResult } from '@marcbachmann/cel-js';
import { compileCel } from './cel-library.js';
import { usesVariable } from './cel-source.js';
import { formatPath, showValue } from './path.js';
import type { Path, StructuralSchema, ValidationRule } from './types.js';
import { isWithin, type NodeCheck } from './walk.js';

/** A rule that is never evaluated, and why. */
export interface SkippedRule {
  readonly rule: string;
  readonly reason: string;
}

const skipped = new Map<string, SkippedRule>();
/** Compilers of rules not evaluated yet; `skippedRules()` runs them to learn which do not compile. */
const pending = new Set<() => unknown>();

/**
 * Rules of the kinds validated so far that are never evaluated: transition rules (`oldSelf`)
 * and rules that do not compile.
 */
export function skippedRules(): SkippedRule[] {
  for (const compile of [...pending]) compile();
  return [...skipped.values()];
}

/** A rule's programs, or undefined when it does not compile (it is then in `skipped`). */
interface Programs {
  readonly program: ParseResult;
  readonly messageProgram: ParseResult | undefined;
}

/**
 * One check per `x-kubernetes-validations` rule of `schema`, evaluated with `self` bound to the
 * value at that node. Transition rules (those reading `oldSelf`) are skipped: there is no old
 * object when a manifest is created, and the API server does not run them then. A rule is
 * compiled the first time a value reaches it, so a run pays only for the rules its objects use.
 */
export function celChecks(schema: StructuralSchema): NodeCheck[] {
  const checks: NodeCheck[] = [];
  for (const rule of schema['x-kubernetes-validations'] ?? []) {
    if (usesVariable(rule.rule, 'oldSelf')) {
      skipped.set(rule.rule, { rule: rule.rule, reason: 'transition rule: reads oldSelf, which does not exist on create' });
      continue;
    }
    checks.push(ruleCheck(rule, schema));
  }
  return checks;
}

function compileRule(rule: ValidationRule): Programs | undefined {
  try {
    const program = compileCel(rule.rule);
    const messageProgram = rule.messageExpression ? compileCel(rule.messageExpression) : undefined;
    return { program, messageProgram };
  } catch (e) {
    skipped.set(rule.rule, { rule: rule.rule, reason: `does not compile: ${firstLine(e)}` });
    return undefined;
  }
}

function ruleCheck(rule: ValidationRule, schema: StructuralSchema): NodeCheck {
  const fieldPath = parseFieldPath(rule.fieldPath);
  let programs: Programs | undefined | null = null; // null: not compiled yet
  const compile = (): Programs | undefined => {
    if (programs === null) {
      programs = compileRule(rule);
      pending.delete(compile);
    }
    return programs;
  };
  pending.add(compile);
  return function checkCelRule(value, path, ctx) {
    const compiled = compile();
    if (!compiled) return;
    const self = toCel(value, schema);
    let result: unknown;
    try {
      result = compiled.program({ self });
    } catch (e) {
      // A rule that trips over a value the schema already rejected adds nothing.
      if (ctx.invalid.some((p) => isWithin(p, path))) return;
      result = e;
    }
    if (result === true) return;
    const at = [...path, ...fieldPath];
    const got = value === null || typeof value !== 'object' ? ` (got ${showValue(value)})` : '';
    const why = result === false ? '' : result instanceof Error
      ? `; the rule could not be evaluated: ${firstLine(result)}`
      : `; the rule returned ${showValue(result)} instead of a bool`;
    const message = customMessage(compiled.messageProgram, self) ?? rule.message ?? `failed rule: ${rule.rule}`;
    ctx.out.push({ path: at, message: `${formatPath(at)}: ${message}${got}${why}`, kind: 'cel', rule: rule.rule });
  };
}

function customMessage(program: ParseResult | undefined, self: unknown): string | undefined {
  if (!program) return undefined;
  try {
    const text: unknown = program({ self });
    return typeof text === 'string' && text.trim() !== '' ? text : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The value as CEL sees it under the schema: `integer` (and int-or-string numbers) become CEL
 * ints (bigint); `number` stays a double; a declared property whose name is not a CEL identifier
 * is read under its escaped name (`namespace` as `__namespace__`, see escapePropertyName).
 * Subtrees without integer fields or such names are passed as they are.
 */
function toCel(value: unknown, schema: StructuralSchema | undefined): unknown {
  if (!schema || !needsConversion(schema)) return value;
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map((v) => toCel(v, schema.items));
  if (value === null || typeof value !== 'object') return value;
  const mapValues = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
  const out: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(value)) {
    const declared = schema.properties !== undefined && Object.hasOwn(schema.properties, key);
    const own = declared ? schema.properties![key] : mapValues;
    out[declared ? escapePropertyName(key) : key] = toCel((value as Record<string, unknown>)[key], own);
  }
  return out;
}

/** CEL's reserved words: a property of that name is read as `__<name>__`. */
const CEL_RESERVED = new Set([
  'true', 'false', 'null', 'in', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if', 'import',
  'let', 'loop', 'package', 'namespace', 'return', 'var', 'void', 'while',
]);

/**
 * The name a rule reads a declared property under, as k8s.io/apiserver pkg/cel `Escape`: a
 * reserved word `w` is `__w__`; `__`, `.`, `-` and `/` become `__underscores__`, `__dot__`,
 * `__dash__` and `__slash__` (Gateway API rules read a parentRef's `namespace` as `p.__namespace__`).
 */
export function escapePropertyName(name: string): string {
  if (CEL_RESERVED.has(name)) return `__${name}__`;
  return name.replace(/__|[./-]/g, (s) => ESCAPES[s]!);
}

const ESCAPES: Readonly<Record<string, string>> = { __: '__underscores__', '.': '__dot__', '-': '__dash__', '/': '__slash__' };

const conversionCache = new WeakMap<StructuralSchema, boolean>();

function needsConversion(schema: StructuralSchema): boolean {
  let known = conversionCache.get(schema);
  if (known === undefined) {
    const children = [
      ...Object.values(schema.properties ?? {}),
      ...(typeof schema.additionalProperties === 'object' ? [schema.additionalProperties] : []),
      ...(schema.items ? [schema.items] : []),
    ];
    known = schema.type === 'integer' || schema['x-kubernetes-int-or-string'] === true
      || Object.keys(schema.properties ?? {}).some((name) => escapePropertyName(name) !== name)
      || children.some(needsConversion);
    conversionCache.set(schema, known);
  }
  return known;
}

/** `.spec.ports[0]['name']` → ['spec', 'ports', 0, 'name'], relative to the rule's node. */
function parseFieldPath(fieldPath: string | undefined): Path {
  if (!fieldPath) return [];
  const out: (string | number)[] = [];
  for (const m of fieldPath.matchAll(/\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]/g)) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[3] !== undefined) out.push(m[3]);
  }
  return out;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}
