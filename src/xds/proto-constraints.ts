/**
 * Envoy's proto constraints: the `(validate.rules)` annotations of protoc-gen-validate (PGV) on
 * Envoy's API protos, which Envoy checks on every resource it receives (`MessageUtil::validate`
 * calls the PGV-generated `Validate()`; a violation NACKs the whole response with "Proto constraint
 * validation failed (…)"). `max_ejection_percent` must be ≤ 100, a route's `prefix` needs a value,
 * a cluster's `connect_timeout` must be > 0, a header name must be a valid HTTP header name, and so on.
 *
 * The rules are read from the generated descriptors (the options the Envoy protos carry), once per
 * message type, and interpreted: numeric, bool, string, bytes, enum, message, repeated, map, Any,
 * Duration and Timestamp rules, and `(validate.required)` oneofs, as PGV's C++ templates check them.
 * An `Any` whose type meshproof knows (`XDS_REGISTRY`) is unpacked and checked too, as Envoy checks
 * a typed config when it instantiates the extension. `google.protobuf.Struct` contents carry no rules.
 *
 * Used before a snapshot is published (`checkSnapshot`: nothing Envoy would NACK is ever sent) and by
 * the reference proxy on receipt (the same NACK Envoy sends).
 */
import { type DescField, type DescMessage, type DescOneof, type Message, type Registry, getOption, hasOption, toJson } from '@bufbuild/protobuf';
import { type Any, anyUnpack, isWrapperDesc } from '@bufbuild/protobuf/wkt';
import { FieldRulesSchema, required as oneofRequired, rules as fieldRules } from './gen/validate/validate_pb.js';

/** One value that breaks a `(validate.rules)` constraint. */
export interface ConstraintViolation {
  /** Path of the field inside the resource, in proto field names: `outlier_detection.max_ejection_percent`, `virtual_hosts[0].routes[2].match`. */
  readonly path: string;
  /** PGV's error for it, as Envoy prints it: `OutlierDetectionValidationError.MaxEjectionPercent: value must be less than or equal to 100`. */
  readonly error: string;
}

/** Rules of one field, as the JSON of `validate.FieldRules` (only the set fields), e.g. `{ uint32: { lte: 100 } }`. */
type Rules = Record<string, Record<string, unknown>>;

/** A compiled check of one value: the reason it breaks a rule (PGV reports the first), or undefined. */
type Check = (value: unknown, present: boolean) => string | undefined;

interface FieldPlan {
  readonly field: DescField;
  /** Rules of the value (singular field) or of each item / map value. */
  readonly check: Check | undefined;
  /** Rules of a map's keys. */
  readonly keyCheck: Check | undefined;
  /** Rules of the list or map as a whole (item or pair counts, uniqueness). */
  readonly sizeCheck: ((value: unknown) => string | undefined) | undefined;
  /** The message type to look into (its own plan is not null), or `google.protobuf.Any`. */
  readonly descend: DescMessage | undefined;
}

interface MessagePlan {
  readonly fields: readonly FieldPlan[];
  readonly requiredOneofs: readonly DescOneof[];
}

const PLANS = new WeakMap<DescMessage, MessagePlan | null>();
const VISITING = new Set<DescMessage>();

/** The checks of `desc` (null when neither it nor anything it holds has a constraint). */
function planOf(desc: DescMessage): MessagePlan | null {
  const known = PLANS.get(desc);
  if (known !== undefined) return known;
  // A recursive type (a message holding itself, directly or not) is assumed to need visiting.
  if (VISITING.has(desc)) return { fields: [], requiredOneofs: [] };
  VISITING.add(desc);
  try {
    const fields: FieldPlan[] = [];
    for (const field of desc.fields) {
      const rules = hasOption(field, fieldRules) ? (toJson(FieldRulesSchema, getOption(field, fieldRules)) as Rules) : {};
      const m = field.message;
      const descend = m !== undefined && !isStructJson(field) && !isWrapperDesc(m) && (m.typeName === 'google.protobuf.Any' || planOf(m) !== null) ? m : undefined;
      let check: Check | undefined;
      let keyCheck: Check | undefined;
      let sizeCheck: FieldPlan['sizeCheck'];
      let skip = rules.message?.skip === true;
      if (field.fieldKind === 'list') {
        sizeCheck = rules.repeated ? repeatedCheck(rules.repeated) : undefined;
        const items = rules.repeated?.items as Rules | undefined;
        if (items?.message?.skip === true) skip = true;
        check = items ? compile(items, field) : undefined;
      } else if (field.fieldKind === 'map') {
        sizeCheck = rules.map ? mapCheck(rules.map) : undefined;
        keyCheck = rules.map?.keys ? compile(rules.map.keys as Rules, field) : undefined;
        check = rules.map?.values ? compile(rules.map.values as Rules, field) : undefined;
      } else {
        check = compile(rules, field);
      }
      const plan: FieldPlan = { field, check, keyCheck, sizeCheck, descend: skip ? undefined : descend };
      if (plan.check || plan.keyCheck || plan.sizeCheck || plan.descend) fields.push(plan);
    }
    const requiredOneofs = desc.oneofs.filter((o) => hasOption(o, oneofRequired) && getOption(o, oneofRequired));
    const plan = fields.length === 0 && requiredOneofs.length === 0 ? null : { fields, requiredOneofs };
    PLANS.set(desc, plan);
    return plan;
  } finally {
    VISITING.delete(desc);
  }
}

/** `google.protobuf.Struct` fields are held as JSON by the generated code (no constraints inside). */
function isStructJson(field: DescField): boolean {
  return field.message?.typeName === 'google.protobuf.Struct' && field.parent.typeName !== 'google.protobuf.Value';
}

/** Where the walk is: a field path built only when a violation is reported. */
interface Path {
  readonly parent: Path | undefined;
  /** `name`, `[3]` or `["key"]`. */
  readonly step: string;
}

function pathText(p: Path | undefined): string {
  const steps: string[] = [];
  for (let at = p; at; at = at.parent) steps.push(at.step);
  let out = '';
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i]!;
    out += step.startsWith('[') || out === '' ? step : `.${step}`;
  }
  return out;
}

interface Walk {
  readonly out: ConstraintViolation[];
  readonly limit: number;
  readonly registry: Registry | undefined;
}

/**
 * Every constraint `message` (of type `schema`) breaks, up to `limit` (default 20), in field order.
 * `registry` resolves the types of `Any` fields (typed configs) that {@link notePacked} did not see;
 * an Any of another type is not looked into. Never throws for a well-formed message.
 */
export function constraintViolations(schema: DescMessage, message: Message, registry?: Registry, limit = 20): ConstraintViolation[] {
  const walk: Walk = { out: [], limit, registry };
  visit(schema, message as unknown as Record<string, unknown>, undefined, walk);
  return walk.out;
}

/** Envoy's wording of a violation: `Proto constraint validation failed (<error>)`. */
export function envoyConstraintMessage(v: ConstraintViolation): string {
  return `Proto constraint validation failed (${v.error})`;
}

function report(walk: Walk, path: Path | undefined, desc: DescMessage, fieldName: string, reason: string): void {
  if (walk.out.length >= walk.limit) return;
  walk.out.push({ path: pathText(path), error: `${desc.name}ValidationError.${pascal(fieldName)}: ${reason}` });
}

/** `foo_bar` → `FooBar`, as PGV names fields in its errors. */
function pascal(name: string): string {
  return name.split('_').map((s) => (s ? s[0]!.toUpperCase() + s.slice(1) : s)).join('');
}

type Validator = (msg: unknown, path: Path | undefined, walk: Walk) => void;

const VALIDATORS = new WeakMap<DescMessage, Validator>();

/** Checks `msg` (of `desc`) into `walk`; generated code per message type (see {@link compileValidators}). */
function visit(desc: DescMessage, msg: Record<string, unknown>, path: Path | undefined, walk: Walk): void {
  if (planOf(desc) === null) return;
  let v = VALIDATORS.get(desc);
  if (!v) v = compileValidators(desc);
  v(msg, path, walk);
}

/**
 * Straight-line JavaScript per message type that `root` reaches with a constraint, generated from
 * the plans (so from the descriptors only; no input ever becomes code) and compiled once, as the
 * encoders are (`encode-codegen.ts`): each field is one block reading its property by name, which
 * keeps the walk over a 1,000-service snapshot's ~100,000 messages cheap. The rules themselves run as
 * the compiled {@link Check} closures.
 */
function compileValidators(root: DescMessage): Validator {
  const types: DescMessage[] = [root];
  const index = new Map<DescMessage, number>([[root, 0]]);
  const checks: unknown[] = [];
  const descs: DescMessage[] = [];
  const ref = (x: unknown, list: unknown[]) => `${list === checks ? 'C' : 'D'}[${list.push(x) - 1}]`;
  const fnOf = (d: DescMessage): string => {
    if (d.typeName === 'google.protobuf.Any') return 'VA';
    let k = index.get(d);
    if (k === undefined) {
      index.set(d, (k = types.length));
      types.push(d);
    }
    return `V${k}`;
  };
  const src: string[] = [];
  const q = JSON.stringify;
  for (let t = 0; t < types.length; t++) {
    const desc = types[t]!;
    const plan = planOf(desc)!;
    const D = ref(desc, descs);
    const body: string[] = ['if (w.out.length >= w.limit) return;', 'let v, r;'];
    for (const o of plan.requiredOneofs) body.push(`if (!m[${q(o.localName)}]?.case) rep(w, p, ${q(o.name)}, ${D}, ${q(o.name)}, "value is required");`);
    for (const { field, check, keyCheck, sizeCheck, descend } of plan.fields) {
      const name = q(field.name);
      const C = check ? ref(check, checks) : undefined;
      const V = descend && planOf(descend) !== null ? fnOf(descend) : descend?.typeName === 'google.protobuf.Any' ? 'VA' : undefined;
      const lines: string[] = [];
      if (field.fieldKind === 'list') {
        lines.push('v = v ?? [];');
        if (sizeCheck) lines.push(`r = ${ref(sizeCheck, checks)}(v); if (r) rep(w, p, ${name}, ${D}, ${name}, r);`);
        if (C || V) {
          lines.push(`for (let i = 0; i < v.length; i++) {`);
          if (C) lines.push(`  r = ${C}(v[i], true); if (r) rep(w, { parent: p, step: ${name} }, "[" + i + "]", ${D}, ${name}, r);`);
          if (V) lines.push(`  if (v[i] != null) ${V}(v[i], { parent: { parent: p, step: ${name} }, step: "[" + i + "]" }, w);`);
          lines.push('}');
        }
      } else if (field.fieldKind === 'map') {
        lines.push('v = v ?? {};');
        if (sizeCheck) lines.push(`r = ${ref(sizeCheck, checks)}(Object.keys(v)); if (r) rep(w, p, ${name}, ${D}, ${name}, r);`);
        const K = keyCheck ? ref(keyCheck, checks) : undefined;
        if (C || V || K) {
          lines.push('for (const k in v) {');
          lines.push(`  const at = "[" + JSON.stringify(k) + "]";`);
          if (K) lines.push(`  r = ${K}(k, true); if (r) rep(w, { parent: p, step: ${name} }, at, ${D}, ${name}, "keys: " + r);`);
          if (C) lines.push(`  r = ${C}(v[k], true); if (r) rep(w, { parent: p, step: ${name} }, at, ${D}, ${name}, r);`);
          if (V) lines.push(`  if (v[k] != null) ${V}(v[k], { parent: { parent: p, step: ${name} }, step: at }, w);`);
          lines.push('}');
        }
      } else {
        if (C) lines.push(`r = ${C}(v, v !== undefined && v !== null); if (r) rep(w, p, ${name}, ${D}, ${name}, r);`);
        if (V) lines.push(`if (v != null) ${V}(v, { parent: p, step: ${name} }, w);`);
      }
      if (lines.length === 0) continue;
      if (field.oneof) {
        // A oneof member's rules apply only when it is the member set (PGV's switch over the case).
        body.push(`v = m[${q(field.oneof.localName)}]; if (v !== undefined && v.case === ${q(field.localName)}) { v = v.value; ${lines.join(' ')} }`);
      } else {
        body.push(`v = m[${q(field.localName)}]; ${lines.join(' ')}`);
      }
    }
    src.push(`function V${t}(m, p, w) {\n  ${body.join('\n  ')}\n}`);
  }
  src.push('return V0;');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const v = new Function('C', 'D', 'rep', 'VA', src.join('\n'))(checks, descs, reportAt, visitAny) as Validator;
  VALIDATORS.set(root, v);
  return v;
}

/** {@link report} at `path`'s child `step` (a field name, `[i]` or `["key"]`). */
function reportAt(walk: Walk, path: Path | undefined, step: string, desc: DescMessage, fieldName: string, reason: string): void {
  report(walk, { parent: path, step }, desc, fieldName, reason);
}

const NONE: readonly ConstraintViolation[] = Object.freeze([]);

/** What {@link notePacked} found in the message each Any was packed from. */
const PACKED = new WeakMap<Any, readonly ConstraintViolation[]>();

/**
 * Records the constraints `message` breaks for `any`, the Any it was just packed into (`packAny`),
 * so checking a resource that holds the Any reads them instead of decoding it again. Returns `any`.
 */
export function notePacked(any: Any, schema: DescMessage, message: Message): Any {
  const found = planOf(schema) === null ? NONE : constraintViolations(schema, message);
  PACKED.set(any, found.length === 0 ? NONE : found);
  return any;
}

/** An `Any` field: the violations {@link notePacked} found in the message it was packed from, else its message decoded (types in the walk's registry) and checked. */
function visitAny(any: Any, path: Path, walk: Walk): void {
  const noted = PACKED.get(any);
  if (noted) {
    for (const v of noted) if (walk.out.length < walk.limit) walk.out.push({ path: `${pathText(path)}.${v.path}`, error: v.error });
    return;
  }
  const type = walk.registry?.getMessage(any.typeUrl.slice(any.typeUrl.lastIndexOf('/') + 1));
  if (!type || planOf(type) === null) return;
  let inner: Message | undefined;
  try {
    inner = anyUnpack(any, type);
  } catch {
    return; // bytes that do not decode: the decoder's error, not a constraint
  }
  visit(type, inner as unknown as Record<string, unknown>, path, walk);
}

function repeatedCheck(r: Record<string, unknown>): ((list: unknown) => string | undefined) | undefined {
  const min = r.minItems === undefined ? undefined : Number(r.minItems);
  const max = r.maxItems === undefined ? undefined : Number(r.maxItems);
  const unique = r.unique === true;
  const ignoreEmpty = r.ignoreEmpty === true;
  if (min === undefined && max === undefined && !unique) return undefined;
  return (value) => {
    const list = value as unknown[];
    if (ignoreEmpty && list.length === 0) return undefined;
    if (min !== undefined && list.length < min) return `value must contain at least ${min} item(s)`;
    if (max !== undefined && list.length > max) return `value must contain no more than ${max} item(s)`;
    if (unique && new Set(list.map((v) => (typeof v === 'bigint' ? `${v}n` : v))).size !== list.length) return 'repeated value must contain unique items';
    return undefined;
  };
}

function mapCheck(r: Record<string, unknown>): ((keys: unknown) => string | undefined) | undefined {
  const min = r.minPairs === undefined ? undefined : Number(r.minPairs);
  const max = r.maxPairs === undefined ? undefined : Number(r.maxPairs);
  const ignoreEmpty = r.ignoreEmpty === true;
  if (min === undefined && max === undefined) return undefined;
  return (value) => {
    const size = (value as unknown[]).length;
    if (ignoreEmpty && size === 0) return undefined;
    if (min !== undefined && size < min) return `value must contain at least ${min} pair(s)`;
    if (max !== undefined && size > max) return `value must contain no more than ${max} pair(s)`;
    return undefined;
  };
}

/** The check of one value (a singular field, a list item, a map key or value) under `rules`; undefined when they constrain nothing. */
function compile(rules: Rules, field: DescField): Check | undefined {
  const checks: Check[] = [];
  for (const [kind, r] of Object.entries(rules)) {
    switch (kind) {
      case 'message':
        if (r.required) checks.push((_v, present) => (present ? undefined : 'value is required'));
        break;
      case 'any': {
        const required = r.required === true;
        const inList = Array.isArray(r.in) && r.in.length > 0 ? (r.in as string[]) : undefined;
        const notIn = Array.isArray(r.notIn) && r.notIn.length > 0 ? (r.notIn as string[]) : undefined;
        checks.push((v, present) => {
          if (!present) return required ? 'value is required' : undefined;
          const url = (v as Any).typeUrl;
          if (inList && !inList.includes(url)) return `type URL must be in list [${inList.join(', ')}]`;
          if (notIn?.includes(url)) return `type URL must not be in list [${notIn.join(', ')}]`;
          return undefined;
        });
        break;
      }
      case 'duration':
      case 'timestamp': {
        const required = r.required === true;
        const ordered = orderedCheck(r, kind === 'duration' ? parseDuration : parseTimestamp);
        checks.push((v, present) => {
          if (!present) return required ? 'value is required' : undefined;
          const t = v as { seconds: bigint; nanos: number };
          return ordered?.(Number(t.seconds) + t.nanos / 1e9);
        });
        break;
      }
      case 'string': {
        const c = stringCheck(r);
        if (c) checks.push((v, present) => (typeof v === 'string' && present ? c(v) : undefined));
        break;
      }
      case 'bytes': {
        const c = bytesCheck(r);
        if (c) checks.push((v, present) => (v instanceof Uint8Array && present ? c(v) : undefined));
        break;
      }
      case 'bool':
        if (r.const !== undefined) checks.push((v) => (v !== undefined && v !== r.const ? `value must equal ${r.const}` : undefined));
        break;
      case 'enum': {
        const c = enumCheck(r, field);
        if (c) checks.push((v) => (typeof v === 'number' ? c(v) : undefined));
        break;
      }
      case 'repeated':
      case 'map':
        break; // the list's or map's own rules (repeatedCheck, mapCheck)
      default: {
        // Numeric kinds (float … sfixed64); a wrapper field's rules apply to its value when it is set.
        const ordered = orderedCheck(r, Number);
        const ignoreEmpty = r.ignoreEmpty === true;
        if (ordered) {
          checks.push((v) => {
            if (v === undefined || v === null) return undefined;
            if (ignoreEmpty && (v === 0 || v === 0n)) return undefined;
            return ordered(typeof v === 'bigint' ? Number(v) : (v as number));
          });
        }
      }
    }
  }
  if (checks.length === 0) return undefined;
  if (checks.length === 1) return checks[0];
  return (v, present) => {
    for (const c of checks) {
      const reason = c(v, present);
      if (reason) return reason;
    }
    return undefined;
  };
}

/** `const`, `lt`, `lte`, `gt`, `gte` (with PGV's range wording), `in`, `not_in` of numbers, durations and timestamps; undefined when none is set. */
function orderedCheck(r: Record<string, unknown>, parse: (x: unknown) => number): ((v: number) => string | undefined) | undefined {
  const show = (x: unknown) => String(x);
  const konst = r.const === undefined ? undefined : parse(r.const);
  const lt = r.lt === undefined ? undefined : parse(r.lt);
  const lte = r.lte === undefined ? undefined : parse(r.lte);
  const gt = r.gt === undefined ? undefined : parse(r.gt);
  const gte = r.gte === undefined ? undefined : parse(r.gte);
  const inList = Array.isArray(r.in) && r.in.length > 0 ? r.in.map(parse) : undefined;
  const notIn = Array.isArray(r.notIn) && r.notIn.length > 0 ? r.notIn.map(parse) : undefined;
  if (konst === undefined && lt === undefined && lte === undefined && gt === undefined && gte === undefined && !inList && !notIn) return undefined;
  const upper = lt ?? lte;
  const lower = gt ?? gte;
  const from = gt !== undefined ? `(${show(r.gt)}` : `[${show(r.gte)}`;
  const to = lt !== undefined ? `${show(r.lt)})` : `${show(r.lte)}]`;
  // An exclusive range (upper bound below the lower): the gap between them is refused.
  const gapFrom = lt !== undefined ? `[${show(r.lt)}` : `(${show(r.lte)}`;
  const gapTo = gt !== undefined ? `${show(r.gt)}]` : `${show(r.gte)})`;
  return (v) => {
    if (konst !== undefined && v !== konst) return `value must equal ${show(r.const)}`;
    const isBelow = lt !== undefined ? v < lt : lte !== undefined ? v <= lte : true;
    const isAbove = gt !== undefined ? v > gt : gte !== undefined ? v >= gte : true;
    if (upper !== undefined && lower !== undefined) {
      if (upper > lower ? !(isAbove && isBelow) : !(isAbove || isBelow)) return upper > lower ? `value must be inside range ${from}, ${to}` : `value must be outside range ${gapFrom}, ${gapTo}`;
    } else if (!isBelow) return lt !== undefined ? `value must be less than ${show(r.lt)}` : `value must be less than or equal to ${show(r.lte)}`;
    else if (!isAbove) return gt !== undefined ? `value must be greater than ${show(r.gt)}` : `value must be greater than or equal to ${show(r.gte)}`;
    if (inList && !inList.includes(v)) return `value must be in list [${(r.in as unknown[]).map(show).join(', ')}]`;
    if (notIn?.includes(v)) return `value must not be in list [${(r.notIn as unknown[]).map(show).join(', ')}]`;
    return undefined;
  };
}

/** Seconds of a proto-JSON Duration (`"0.001s"`). */
function parseDuration(x: unknown): number {
  return Number(String(x).replace(/s$/, ''));
}

function parseTimestamp(x: unknown): number {
  return Date.parse(String(x)) / 1000;
}

/** PGV's header regexes (`validate.KnownRegex`): strict (the default) and not (`strict: false`). */
// `+-.` is a range (it admits ',' and '-'), as in PGV's RE2 pattern.
const HEADER_NAME_STRICT = /^:?[0-9a-zA-Z!#$%&'*+-.^_|~`]+$/;
const HEADER_VALUE_STRICT = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/;
const HEADER_LOOSE = /^[^\u0000\u000A\u000D]*$/;

const PATTERNS = new Map<string, RegExp | null>();

/** A `pattern` (RE2) as a JavaScript RegExp; null when it does not compile as one (not checked). */
function patternOf(p: string): RegExp | null {
  let re = PATTERNS.get(p);
  if (re === undefined) {
    try {
      re = new RegExp(p, 'u');
    } catch {
      re = null;
    }
    PATTERNS.set(p, re);
  }
  return re;
}

/** The check of a string under StringRules; undefined when they constrain nothing. */
function stringCheck(r: Record<string, unknown>): ((v: string) => string | undefined) | undefined {
  const has = Object.keys(r).some((k) => k !== 'ignoreEmpty' && k !== 'strict' && !(Array.isArray(r[k]) && (r[k] as unknown[]).length === 0));
  if (!has) return undefined;
  const re = typeof r.pattern === 'string' ? patternOf(r.pattern) : null;
  const strict = r.strict !== false;
  const headerName = r.wellKnownRegex === 'HTTP_HEADER_NAME' ? (strict ? HEADER_NAME_STRICT : HEADER_LOOSE) : undefined;
  const headerValue = r.wellKnownRegex === 'HTTP_HEADER_VALUE' ? (strict ? HEADER_VALUE_STRICT : HEADER_LOOSE) : undefined;
  const countRunes = r.len !== undefined || r.minLen !== undefined || r.maxLen !== undefined;
  const countBytes = r.lenBytes !== undefined || r.minBytes !== undefined || r.maxBytes !== undefined;
  return (v) => {
    if (r.ignoreEmpty && v === '') return undefined;
    if (r.const !== undefined && v !== r.const) return `value must equal ${r.const}`;
    if (countRunes) {
      const runes = runeCount(v);
      if (r.len !== undefined && runes !== Number(r.len)) return `value length must be ${r.len} runes`;
      if (r.minLen !== undefined && runes < Number(r.minLen)) return `value length must be at least ${r.minLen} runes`;
      if (r.maxLen !== undefined && runes > Number(r.maxLen)) return `value length must be at most ${r.maxLen} runes`;
    }
    if (countBytes) {
      const bytes = Buffer.byteLength(v, 'utf8');
      if (r.lenBytes !== undefined && bytes !== Number(r.lenBytes)) return `value length must be ${r.lenBytes} bytes`;
      if (r.minBytes !== undefined && bytes < Number(r.minBytes)) return `value length must be at least ${r.minBytes} bytes`;
      if (r.maxBytes !== undefined && bytes > Number(r.maxBytes)) return `value length must be at most ${r.maxBytes} bytes`;
    }
    if (re && !re.test(v)) return `value does not match regex pattern ${JSON.stringify(r.pattern)}`;
    if (typeof r.prefix === 'string' && !v.startsWith(r.prefix)) return `value does not have prefix ${JSON.stringify(r.prefix)}`;
    if (typeof r.suffix === 'string' && !v.endsWith(r.suffix)) return `value does not have suffix ${JSON.stringify(r.suffix)}`;
    if (typeof r.contains === 'string' && !v.includes(r.contains)) return `value does not contain substring ${JSON.stringify(r.contains)}`;
    if (typeof r.notContains === 'string' && v.includes(r.notContains)) return `value contains substring ${JSON.stringify(r.notContains)}`;
    if (Array.isArray(r.in) && r.in.length > 0 && !r.in.includes(v)) return `value must be in list [${r.in.join(', ')}]`;
    if (Array.isArray(r.notIn) && r.notIn.includes(v)) return `value must not be in list [${r.notIn.join(', ')}]`;
    if (headerName && !headerName.test(v)) return `value does not match regex pattern ${JSON.stringify(headerName.source)}`;
    if (headerValue && !headerValue.test(v)) return `value does not match regex pattern ${JSON.stringify(headerValue.source)}`;
    if (r.hostname && !isHostname(v)) return 'value must be a valid hostname';
    if (r.ip && !isIp(v)) return 'value must be a valid IP address';
    if (r.ipv4 && !isIpv4(v)) return 'value must be a valid IPv4 address';
    if (r.ipv6 && !isIpv6(v)) return 'value must be a valid IPv6 address';
    if (r.address && !isHostname(v) && !isIp(v)) return 'value must be a valid hostname, or ip address';
    return undefined;
  };
}

/** Code points in `v` (PGV counts runes): UTF-16 units less the low halves of surrogate pairs. */
function runeCount(v: string): number {
  let n = v.length;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff && i > 0) {
      const h = v.charCodeAt(i - 1);
      if (h >= 0xd800 && h <= 0xdbff) n--;
    }
  }
  return n;
}

function bytesCheck(r: Record<string, unknown>): ((v: Uint8Array) => string | undefined) | undefined {
  if (r.len === undefined && r.minLen === undefined && r.maxLen === undefined) return undefined;
  return (v) => {
    if (r.ignoreEmpty && v.length === 0) return undefined;
    if (r.len !== undefined && v.length !== Number(r.len)) return `value length must be ${r.len} bytes`;
    if (r.minLen !== undefined && v.length < Number(r.minLen)) return `value length must be at least ${r.minLen} bytes`;
    if (r.maxLen !== undefined && v.length > Number(r.maxLen)) return `value length must be at most ${r.maxLen} bytes`;
    return undefined;
  };
}

function enumCheck(r: Record<string, unknown>, field: DescField): ((v: number) => string | undefined) | undefined {
  const defined = r.definedOnly && field.enum ? new Set(field.enum.values.map((x) => x.number)) : undefined;
  const konst = r.const === undefined ? undefined : enumNumber(field, r.const);
  const inList = Array.isArray(r.in) && r.in.length > 0 ? r.in.map((x) => enumNumber(field, x)) : undefined;
  const notIn = Array.isArray(r.notIn) && r.notIn.length > 0 ? r.notIn.map((x) => enumNumber(field, x)) : undefined;
  if (!defined && konst === undefined && !inList && !notIn) return undefined;
  return (v) => {
    if (konst !== undefined && v !== konst) return `value must equal ${r.const}`;
    if (defined && !defined.has(v)) return 'value must be one of the defined enum values';
    if (inList && !inList.includes(v)) return `value must be in list [${(r.in as unknown[]).join(', ')}]`;
    if (notIn?.includes(v)) return `value must not be in list [${(r.notIn as unknown[]).join(', ')}]`;
    return undefined;
  };
}

/** An enum rule's value (a number, or a value name in the rules' JSON) as a number. */
function enumNumber(field: DescField, x: unknown): number {
  return typeof x === 'number' ? x : (field.enum?.values.find((y) => y.name === x)?.number ?? NaN);
}

function isHostname(v: string): boolean {
  const s = v.endsWith('.') ? v.slice(0, -1) : v;
  if (s.length === 0 || s.length > 253) return false;
  return s.split('.').every((l) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l));
}

function isIpv4(v: string): boolean {
  const parts = v.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

function isIpv6(v: string): boolean {
  return v.includes(':') && /^[0-9A-Fa-f:.]+$/.test(v) && (v.match(/::/g) ?? []).length <= 1;
}

function isIp(v: string): boolean {
  return isIpv4(v) || isIpv6(v);
}
