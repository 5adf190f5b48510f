/**
 * What Envoy parses in a resource on receipt, beyond its proto constraints (`proto-constraints.ts`), and NACKs
 * the resource for when the parse fails:
 * - every `RegexMatcher.regex` (envoy and xds `type.matcher.v3`), compiled with google_re2: route `safe_regex`,
 *   header and query parameter `string_match.safe_regex`, `regex_rewrite.pattern`, CORS
 *   `allow_origin_string_match`, RBAC principals and permissions, anywhere in the resource and its typed configs;
 * - every `HeaderValueOption.header.value` (headers to add, on a route configuration, virtual host, route,
 *   weighted cluster, health check…), parsed as a substitution format string (`validate/envoy-header-format.ts`).
 *
 * The walk follows only fields whose message type can hold one of those (or a `google.protobuf.Any`), as planned
 * once per message type from the descriptors. An `Any` is looked into with the message it was packed from when
 * {@link noteParsed} saw it, else decoded with the registry (types it does not know are skipped).
 *
 * Used before a snapshot is published (`checkSnapshot`) and by the reference proxy on receipt (its NACK).
 */
import { createRegistry, type DescField, type DescMessage, type Message, type Registry } from '@bufbuild/protobuf';
import { type Any, anyUnpack, isWrapperDesc } from '@bufbuild/protobuf/wkt';
import { headerFormatError } from '../validate/envoy-header-format.js';
import { envoyRegexError } from '../validate/envoy-regex.js';
import { CorsPolicySchema } from './gen/envoy/extensions/filters/http/cors/v3/cors_pb.js';
import { XDS_REGISTRY } from './resources.js';

/** One value Envoy cannot parse. */
export interface SyntaxViolation {
  /** Proto field path inside the resource: `virtual_hosts[0].routes[1].match.safe_regex.regex`. */
  readonly path: string;
  /** `regex` (a RegexMatcher) or `header-value` (a header value to add). */
  readonly kind: 'regex' | 'header-value';
  /** The value as written. */
  readonly value: string;
  /** Envoy's error: RE2's (`missing ): /(v2`) or the formatter's (`Couldn't find valid command at position 3`). */
  readonly error: string;
}

const REGEX_MATCHERS = new Set(['envoy.type.matcher.v3.RegexMatcher', 'xds.type.matcher.v3.RegexMatcher']);
const HEADER_VALUE_OPTION = 'envoy.config.core.v3.HeaderValueOption';
const ANY = 'google.protobuf.Any';

/** Fields of one message type worth descending into. */
type Plan = readonly DescField[];

const PLANS = new WeakMap<DescMessage, Plan | null>();
const VISITING = new Set<DescMessage>();

/** The fields of `desc` that can lead to a regex, a header value option or an Any (null when none can). */
function planOf(desc: DescMessage): Plan | null {
  const known = PLANS.get(desc);
  if (known !== undefined) return known;
  if (REGEX_MATCHERS.has(desc.typeName) || desc.typeName === HEADER_VALUE_OPTION || desc.typeName === ANY) return [];
  // A message holding itself (directly or not) is assumed to lead somewhere until known.
  if (VISITING.has(desc)) return [];
  VISITING.add(desc);
  try {
    const fields = desc.fields.filter((f) => {
      const m = f.message;
      if (!m || isWrapperDesc(m) || m.typeName === 'google.protobuf.Struct' || m.typeName === 'google.protobuf.Value') return false;
      return planOf(m) !== null;
    });
    const plan = fields.length === 0 ? null : fields;
    PLANS.set(desc, plan);
    return plan;
  } finally {
    VISITING.delete(desc);
  }
}

interface Path { readonly parent: Path | undefined; readonly step: string }

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

interface Walk { readonly out: SyntaxViolation[]; readonly limit: number; readonly registry: Registry }

/** The types of every `Any` meshproof writes: the xDS registry and the per-route CORS policy (`typed_per_filter_config`). */
export const SYNTAX_REGISTRY: Registry = createRegistry(XDS_REGISTRY, CorsPolicySchema);

/**
 * Every regex and header value to add in `message` (of type `schema`) that Envoy cannot parse, up to `limit`
 * (default 20), in field order. `registry` (default {@link SYNTAX_REGISTRY}) resolves the types of `Any` fields that
 * {@link noteParsed} did not see; an Any of another type is not looked into.
 */
export function syntaxViolations(schema: DescMessage, message: Message, registry: Registry = SYNTAX_REGISTRY, limit = 20): SyntaxViolation[] {
  const walk: Walk = { out: [], limit, registry };
  visit(schema, message as unknown as Record<string, unknown>, undefined, walk);
  return walk.out;
}

/** The words of a NACK for `v`: `invalid RE2 regex "/(v2": missing ): /(v2`, `invalid header value "100%": Incorrect configuration…`. */
export function envoySyntaxMessage(v: SyntaxViolation): string {
  return `${v.kind === 'regex' ? 'invalid RE2 regex' : 'invalid header value'} ${JSON.stringify(v.value)}: ${v.error}`;
}

function report(walk: Walk, path: Path, kind: SyntaxViolation['kind'], value: string, error: string): void {
  if (walk.out.length < walk.limit) walk.out.push({ path: pathText(path), kind, value, error });
}

function visit(desc: DescMessage, msg: Record<string, unknown>, path: Path | undefined, walk: Walk): void {
  if (walk.out.length >= walk.limit) return;
  if (REGEX_MATCHERS.has(desc.typeName)) {
    const regex = typeof msg.regex === 'string' ? msg.regex : '';
    const error = envoyRegexError(regex);
    if (error) report(walk, { parent: path, step: 'regex' }, 'regex', regex, error);
    return;
  }
  if (desc.typeName === HEADER_VALUE_OPTION) {
    const header = msg.header as { value?: string } | undefined;
    const value = header?.value ?? '';
    const error = value === '' ? undefined : headerFormatError(value);
    if (error) report(walk, { parent: { parent: path, step: 'header' }, step: 'value' }, 'header-value', value, error);
    return;
  }
  const plan = planOf(desc);
  if (!plan) return;
  for (const field of plan) {
    let v: unknown;
    if (field.oneof) {
      const o = msg[field.oneof.localName] as { case?: string; value?: unknown } | undefined;
      if (o?.case !== field.localName) continue;
      v = o.value;
    } else {
      v = msg[field.localName];
    }
    if (v === undefined || v === null) continue;
    const type = field.message!;
    const at: Path = { parent: path, step: field.name };
    if (field.fieldKind === 'list') {
      (v as unknown[]).forEach((item, i) => item != null && descend(type, item, { parent: at, step: `[${i}]` }, walk));
    } else if (field.fieldKind === 'map') {
      for (const [k, item] of Object.entries(v as Record<string, unknown>)) if (item != null) descend(type, item, { parent: at, step: `[${JSON.stringify(k)}]` }, walk);
    } else {
      descend(type, v, at, walk);
    }
  }
}

function descend(type: DescMessage, value: unknown, path: Path, walk: Walk): void {
  if (type.typeName === ANY) visitAny(value as Any, path, walk);
  else visit(type, value as Record<string, unknown>, path, walk);
}

const NONE: readonly SyntaxViolation[] = Object.freeze([]);

/** What was found in the message each Any was packed from (or decoded to), relative to the Any. */
const PARSED = new WeakMap<Any, readonly SyntaxViolation[]>();

/**
 * Records what Envoy could not parse in `message` for `any`, the Any it was just packed into (`packAny`), so
 * checking a resource that holds the Any reads it instead of decoding the Any again. Returns `any`.
 */
export function noteParsed(any: Any, schema: DescMessage, message: Message): Any {
  const found = planOf(schema) === null && !REGEX_MATCHERS.has(schema.typeName) && schema.typeName !== HEADER_VALUE_OPTION ? NONE : syntaxViolations(schema, message);
  PARSED.set(any, found.length === 0 ? NONE : found);
  return any;
}

function visitAny(any: Any, path: Path, walk: Walk): void {
  let found = PARSED.get(any);
  if (!found) {
    const type = walk.registry.getMessage(any.typeUrl.slice(any.typeUrl.lastIndexOf('/') + 1));
    if (!type || planOf(type) === null) return;
    let inner: Message;
    try {
      inner = anyUnpack(any, type) as Message;
    } catch {
      return; // bytes that do not decode: the decoder's error, not a parse
    }
    found = syntaxViolations(type, inner, walk.registry);
    // An Any is read-only once packed (`pack-cache.ts`), so what it holds is judged once.
    PARSED.set(any, found.length === 0 ? NONE : found);
  }
  const prefix = pathText(path);
  for (const v of found) if (walk.out.length < walk.limit) walk.out.push({ ...v, path: `${prefix}.${v.path}` });
}
