/**
 * `envoy.type.matcher.v3.MetadataMatcher` over an exchange's dynamic metadata (Envoy
 * `Matchers::MetadataMatcher`): the value at `filter` / `path` (Struct keys) through the value
 * matcher, then `invert`. ext_authz's `filter_enabled_metadata` uses it to run only for requests a
 * CUSTOM policy's shadow RBAC rule matched.
 */
import type { MetadataMatcher } from '../../xds/gen/envoy/type/matcher/v3/metadata_pb.js';
import type { StringMatcher } from '../../xds/gen/envoy/type/matcher/v3/string_pb.js';
import { ConfigError } from '../config/config-error.js';
import { matchString, re2Full } from '../rbac/string-match.js';

/** Whether a request's dynamic metadata (by filter name) matches. */
export type CompiledMetadataMatcher = (metadata: Readonly<Record<string, Readonly<Record<string, unknown>>>> | undefined) => boolean;

type ValueTest = (v: unknown) => boolean;

/** Compiles a MetadataMatcher; throws ConfigError for value matchers this proxy does not evaluate. */
export function compileMetadataMatcher(m: MetadataMatcher): CompiledMetadataMatcher {
  if (m.filter === '') throw new ConfigError('filter', 'is empty; name the filter whose metadata is matched, e.g. envoy.filters.http.rbac');
  if (m.path.length === 0) throw new ConfigError('path', 'is empty; give at least one key');
  const keys = m.path.map((s, i) => {
    if (s.segment.case !== 'key') throw new ConfigError(`path[${i}]`, 'no key set');
    return s.segment.value;
  });
  if (!m.value) throw new ConfigError('value', 'is required');
  const test = valueTest(m.value.matchPattern);
  const { filter, invert } = m;
  return (metadata) => {
    let v: unknown = metadata?.[filter];
    for (const k of keys) v = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[k] : undefined;
    return test(v) !== invert;
  };
}

function valueTest(p: NonNullable<MetadataMatcher['value']>['matchPattern']): ValueTest {
  switch (p.case) {
    case 'stringMatch': {
      const sm: StringMatcher = p.value;
      if (sm.matchPattern.case === 'safeRegex') {
        try { re2Full(sm.matchPattern.value.regex); } catch (e) { throw new ConfigError('value.string_match.safe_regex', (e as Error).message); }
      }
      if (sm.matchPattern.case === undefined || sm.matchPattern.case === 'custom') throw new ConfigError('value.string_match', 'set exact, prefix, suffix, contains or safe_regex');
      return (v) => typeof v === 'string' && matchString(sm, v);
    }
    case 'presentMatch': {
      const want = p.value;
      return (v) => want && v !== undefined && v !== null;
    }
    case 'boolMatch': {
      const want = p.value;
      return (v) => v === want;
    }
    case 'nullMatch': return (v) => v === null;
    default:
      throw new ConfigError('value', `${p.case ?? 'no matcher'} is not supported by meshproof's proxy; supported: string_match, present_match, bool_match, null_match`);
  }
}
