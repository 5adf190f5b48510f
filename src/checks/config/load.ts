import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type { Ajv, ErrorObject } from 'ajv';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { packagePath } from '../../package-root.js';
import { RETIRED_RULES } from '../retired-rules.js';
import type { RuleMeta } from '../types.js';
import { closest } from './did-you-mean.js';
import { globError } from './glob.js';
import { isCalendarDate, parseSize } from './limits.js';
import { ConfigError, PROFILES, type ConfigException, type ConfigPosition, type MeshproofConfig, type Profile, type RuleSetting } from './types.js';

/** File names looked for in the working directory and its ancestors. */
export const CONFIG_FILE_NAMES: readonly string[] = ['meshproof.config.yaml', 'meshproof.config.yml'];

/** ajv is loaded only when a config file is read: a run without one is spared its start-up cost. */
const requireCjs = createRequire(import.meta.url);

const SCHEMA_URL = packagePath('schemas', 'meshproof-config.schema.json');

/** Returns the nearest config file in `cwd` or above, or undefined. */
export function findConfigFile(cwd: string): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    for (const name of CONFIG_FILE_NAMES) {
      const candidate = join(dir, name);
      if (existsSync(candidate)) return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The config schema with the rule catalogue filled in, so unknown rule ids fail validation. */
function schemaFor(known: readonly RuleMeta[]): object {
  const schema = JSON.parse(readFileSync(SCHEMA_URL, 'utf8'));
  const ids = known.map((r) => r.id);
  const codes = [...new Set(known.flatMap((r) => (r.istioCode ? [r.istioCode] : [])))];
  schema.properties.rules.propertyNames = { enum: ids };
  schema.properties.exceptions.items.properties.rule = { enum: [...ids, ...codes] };
  return schema;
}

function didYouMean(value: string, candidates: readonly string[]): string {
  if (Object.hasOwn(RETIRED_RULES, value)) return `; it was retired: ${RETIRED_RULES[value]}`;
  const best = closest(value, candidates);
  return best !== undefined ? `; did you mean "${best}"?` : '; run `meshproof rules` for the list';
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

interface Located {
  readonly doc: ReturnType<typeof parseDocument>;
  readonly lines: LineCounter;
  readonly file: string;
}

/** Finds the YAML node at a JSON pointer; with `key`, the key node of that property instead. */
function positionOf(src: Located, pointer: string, key?: string): ConfigPosition {
  const segments = pointer.split('/').slice(1).map(unescapePointer);
  let node: Node | null | undefined = src.doc.contents;
  for (const segment of segments) {
    if (isMap(node)) node = node.items.find((p) => isScalar(p.key) && String(p.key.value) === segment)?.value as Node | undefined;
    else if (isSeq(node)) node = node.items[Number(segment)] as Node | undefined;
    else break;
  }
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
    if (pair && isScalar(pair.key)) node = pair.key;
  }
  const offset = node?.range?.[0] ?? 0;
  const { line, col } = src.lines.linePos(offset);
  return { file: src.file, line, column: col };
}

function describe(error: ErrorObject, known: readonly RuleMeta[]): { message: string; key?: string } {
  const where = error.instancePath.split('/').slice(1).map(unescapePointer).join('.') || '(top level)';
  const ids = known.map((r) => r.id);
  switch (error.keyword) {
    case 'additionalProperties': {
      const name = String(error.params['additionalProperty']);
      const keys = Object.keys((error.parentSchema?.['properties'] as Record<string, unknown> | undefined) ?? {});
      const best = closest(name, keys);
      const hint = best !== undefined ? `; did you mean "${best}"?` : keys.length > 0 ? `; known keys are ${keys.map((k) => `"${k}"`).join(', ')}` : '';
      return { message: `${where}: unknown key "${name}"${hint}`, key: name };
    }
    case 'propertyNames': {
      const name = String(error.params['propertyName']);
      return { message: `${where}: unknown rule id "${name}"${didYouMean(name, ids)}`, key: name };
    }
    case 'type':
      if (where === 'rules') {
        return { message: `rules: must be a mapping of rule id to setting, e.g.\n  rules:\n    ${ids[0] ?? '<rule-id>'}: off\n    ${ids[1] ?? '<rule-id>'}: { severity: warning }\ngot ${JSON.stringify(error.data)}` };
      }
      return { message: `${where}: expected ${String(error.params['type'])}; got ${JSON.stringify(error.data)}` };
    case 'required':
      return { message: `${where}: "${String(error.params['missingProperty'])}" is required` };
    case 'enum':
      return {
        message: where.endsWith('.rule')
          ? `${where}: unknown rule id or istioctl code${didYouMean(String(error.data), ids)}`
          : `${where}: ${JSON.stringify(error.data)} is not one of ${(error.params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'oneOf':
      if (where.startsWith('limits.')) return { message: `${where}: expected a number of bytes or a size such as 64MiB, 500KiB, 100MB; got ${JSON.stringify(error.data)}` };
      return { message: `${where}: expected "off", "error", "warning", "info" or { severity, options }; got ${JSON.stringify(error.data)}` };
    case 'pattern':
    case 'minLength':
      if (where.endsWith('.expires')) return { message: `${where}: ${JSON.stringify(error.data)} is not a date of the form YYYY-MM-DD` };
      if (where.endsWith('.reason')) return { message: `${where}: must say why the exception is needed` };
      if (where.endsWith('.resource')) return { message: `${where}: ${JSON.stringify(error.data)} is not of the form "Kind namespace/name"` };
      return { message: `${where}: ${JSON.stringify(error.data)} ${error.message ?? 'is invalid'}` };
    default:
      return { message: `${where}: ${error.message ?? 'is invalid'}` };
  }
}

/** Errors ajv reports inside `oneOf` branches are noise once the `oneOf` itself is reported. */
function primaryErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  const oneOfPaths = errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath);
  return errors.filter((e) => e.keyword === 'oneOf' || !oneOfPaths.some((p) => e.instancePath.startsWith(p) && e.schemaPath.includes('/oneOf/')))
    .filter((e) => !(e.keyword === 'enum' && e.schemaPath.includes('/propertyNames/')));
}

/**
 * Parses and validates a config file against `schemas/meshproof-config.schema.json`, with the
 * rule catalogue `known` deciding which rule ids exist. Throws `ConfigError` pointing at the first
 * bad key (file:line:column, `file` relative to `cwd`).
 */
export function parseConfig(text: string, file: string, known: readonly RuleMeta[]): MeshproofConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    const { line, col } = lines.linePos(err.pos[0]);
    const duplicate = err.code === 'DUPLICATE_KEY' ? duplicateKeyMessage(text, err.pos[0], lines) : undefined;
    throw new ConfigError(duplicate ?? `not valid YAML: ${err.message.split('\n')[0]}`, { file, line, column: col });
  }
  const data: unknown = doc.toJS() ?? {};
  const { Ajv } = requireCjs('ajv') as typeof import('ajv');
  const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
  const validate = ajv.compile(schemaFor(known));
  const src: Located = { doc, lines, file };
  if (!validate(data)) {
    const errors = primaryErrors(validate.errors ?? []);
    const messages = errors.map((e) => {
      const { message, key } = describe(e, known);
      return { message, at: positionOf(src, e.instancePath, key) };
    });
    messages.sort((a, b) => a.at.line - b.at.line || a.at.column - b.at.column);
    const first = messages[0]!;
    const more = messages.slice(1).map((m) => `\n${m.at.file}:${m.at.line}:${m.at.column}: ${m.message}`).join('');
    throw new ConfigError(first.message + more, first.at);
  }
  const raw = data as RawConfig;
  const semantic = [...dateErrors(raw, src), ...optionErrors(raw, known, ajv, src)];
  (raw.exclude ?? []).forEach((g, i) => {
    const why = globError(g);
    if (why !== undefined) semantic.push({ message: `exclude[${i}]: ${JSON.stringify(g)} is not a valid glob: ${why}`, at: positionOf(src, `/exclude/${i}`) });
  });
  const size = raw.limits?.maxInputSize;
  if (size !== undefined && parseSize(size) === undefined) semantic.push({ message: `limits.maxInputSize: ${JSON.stringify(size)} is not a size above zero`, at: positionOf(src, '/limits/maxInputSize') });
  if (semantic.length > 0) {
    semantic.sort((a, b) => a.at.line - b.at.line || a.at.column - b.at.column);
    const more = semantic.slice(1).map((m) => `\n${m.at.file}:${m.at.line}:${m.at.column}: ${m.message}`).join('');
    throw new ConfigError(semantic[0]!.message + more, semantic[0]!.at);
  }
  const limits = raw.limits ?? {};
  return {
    file,
    profile: raw.profile ?? 'recommended',
    rules: raw.rules ?? {},
    exceptions: (raw.exceptions ?? []).map((e, i) => ({ ...e, at: positionOf(src, `/exceptions/${i}`) })),
    exclude: raw.exclude ?? [],
    limits: {
      ...(limits.maxInputSize !== undefined ? { maxInputBytes: parseSize(limits.maxInputSize)! } : {}),
      ...(limits.maxDocuments !== undefined ? { maxDocuments: limits.maxDocuments } : {}),
      ...(limits.maxAliases !== undefined ? { maxAliasCount: limits.maxAliases } : {}),
      ...(limits.maxNodes !== undefined ? { maxNodes: limits.maxNodes } : {}),
      ...(limits.maxDepth !== undefined ? { maxDepth: limits.maxDepth } : {}),
      ...(limits.maxScalarLength !== undefined ? { maxScalarLength: limits.maxScalarLength } : {}),
    },
    ...(raw.meshConfig !== undefined ? { meshConfig: raw.meshConfig } : {}),
    ...(raw.clusterDomain !== undefined ? { clusterDomain: { value: raw.clusterDomain, at: positionOf(src, '/clusterDomain') } } : {}),
    ...(raw.context !== undefined ? { context: raw.context } : {}),
  };
}

/**
 * `duplicate key "rules" at the top level (first at line 7): …` for the key `yaml` reports as a
 * duplicate at `offset`, found again in a parse that allows duplicates; undefined when it is not
 * found there (then yaml's own words are used).
 */
function duplicateKeyMessage(text: string, offset: number, lines: LineCounter): string | undefined {
  const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false });
  const stack: { node: unknown; path: string[] }[] = [{ node: doc.contents, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (isSeq(node)) node.items.forEach((item, i) => stack.push({ node: item, path: [...path, String(i)] }));
    if (!isMap(node)) continue;
    const firstAt = new Map<unknown, number>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      const at = (pair.key as Node | null)?.range?.[0];
      if (at === offset) {
        const first = firstAt.get(key);
        if (first === undefined) return undefined;
        const name = String(key);
        const where = path.length === 0 ? 'at the top level' : `in ${path.join('.')}`;
        return `duplicate key ${JSON.stringify(name)} ${where} (first at line ${lines.linePos(first).line}): YAML keys must be unique, and tools disagree on which value wins; keep one (merge the entries of both under one "${name}:")`;
      }
      if (at !== undefined && !firstAt.has(key)) firstAt.set(key, at);
      stack.push({ node: pair.value, path: [...path, String(key)] });
    }
  }
  return undefined;
}

interface RawConfig {
  profile?: Profile;
  rules?: Record<string, RuleSetting>;
  exceptions?: Omit<ConfigException, 'at'>[];
  exclude?: string[];
  limits?: { maxInputSize?: string | number; maxDocuments?: number; maxAliases?: number; maxNodes?: number; maxDepth?: number; maxScalarLength?: number };
  meshConfig?: string;
  clusterDomain?: string;
  context?: string[];
}

interface LocatedMessage {
  readonly message: string;
  readonly at: ConfigPosition;
}

/** `expires` dates that match YYYY-MM-DD but name no day (2026-02-30). */
function dateErrors(raw: RawConfig, src: Located): LocatedMessage[] {
  return (raw.exceptions ?? []).flatMap((e, i) =>
    isCalendarDate(e.expires) ? [] : [{ message: `exceptions.${i}.expires: ${e.expires} is not a day of the calendar; write a real date (YYYY-MM-DD)`, at: positionOf(src, `/exceptions/${i}/expires`) }],
  );
}

/** Each rule's `options` against the rule's `optionsSchema`; a rule without one takes no options. */
function optionErrors(raw: RawConfig, known: readonly RuleMeta[], ajv: Ajv, src: Located): LocatedMessage[] {
  const out: LocatedMessage[] = [];
  for (const [id, setting] of Object.entries(raw.rules ?? {})) {
    if (typeof setting !== 'object' || setting.options === undefined) continue;
    const rule = known.find((r) => r.id === id);
    if (!rule) continue;
    const base = `/rules/${id.replace(/~/g, '~0').replace(/\//g, '~1')}/options`;
    if (!rule.optionsSchema) {
      if (Object.keys(setting.options).length > 0) out.push({ message: `rules.${id}.options: ${id} takes no options; remove them`, at: positionOf(src, base) });
      continue;
    }
    const validate = ajv.compile(rule.optionsSchema);
    if (validate(setting.options)) continue;
    for (const e of validate.errors ?? []) {
      const where = `rules.${id}.options${e.instancePath.split('/').slice(1).map((p) => `.${unescapePointer(p)}`).join('')}`;
      if (e.keyword === 'additionalProperties') {
        const name = String(e.params['additionalProperty']);
        const allowed = Object.keys((rule.optionsSchema['properties'] as Record<string, unknown> | undefined) ?? {});
        out.push({ message: `${where}: unknown option "${name}" for ${id}; it takes ${allowed.map((a) => `"${a}"`).join(', ')}`, at: positionOf(src, base + e.instancePath, name) });
      } else {
        out.push({ message: `${where}: ${JSON.stringify(e.data)} ${e.message ?? 'is invalid'}`, at: positionOf(src, base + e.instancePath) });
      }
    }
  }
  return out;
}

/** Reads a config file; `displayFrom` makes the file name in messages relative to that directory. */
export function loadConfigFile(path: string, known: readonly RuleMeta[], displayFrom?: string): MeshproofConfig {
  const display = displayFrom ? relative(displayFrom, path) || path : path;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${display}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, null);
  }
  const config = parseConfig(text, display, known);
  // meshConfig and context are written relative to the config file.
  const near = (p: string): string => (displayFrom ? relative(displayFrom, resolve(dirname(path), p)) || '.' : resolve(dirname(path), p));
  return {
    ...config,
    ...(config.meshConfig !== undefined ? { meshConfig: near(config.meshConfig) } : {}),
    ...(config.context !== undefined ? { context: config.context.map(near) } : {}),
  };
}

export function isProfile(value: string): value is Profile {
  return (PROFILES as readonly string[]).includes(value);
}
