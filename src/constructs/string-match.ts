import type { IConstruct } from 'constructs';
import { PropError } from './_errors.js';
import { checkRe2 } from './_validate.js';

/** How a `StringMatch` compares: Istio's `StringMatch` oneof (`exact`, `prefix`, `regex`). */
export type StringMatchKind = 'exact' | 'prefix' | 'regex';

/** The Istio `StringMatch` message as the L1 classes type it (exactly one field set). */
export interface StringMatchSpec {
  readonly exact?: string;
  readonly prefix?: string;
  readonly regex?: string;
}

/**
 * A string condition for URIs, headers, query parameters, methods and CORS origins: Istio's
 * `StringMatch`. Regular expressions are RE2 (what Envoy runs); they are checked when the match is
 * translated, so the error names the construct and field that used it.
 */
export class StringMatch {
  /** Matches the whole value exactly (`exact`). */
  static exact(value: string): StringMatch {
    return new StringMatch('exact', value);
  }
  /** Matches values starting with `value` (`prefix`). */
  static prefix(value: string): StringMatch {
    return new StringMatch('prefix', value);
  }
  /** Matches values the RE2 expression `pattern` matches in full (`regex`). */
  static regex(pattern: string): StringMatch {
    return new StringMatch('regex', pattern);
  }

  private constructor(readonly kind: StringMatchKind, readonly value: string) {}

  /** The Istio `StringMatch` message; checks a regex with RE2, naming `field` on error. */
  toIstio(scope: IConstruct, field: string): StringMatchSpec {
    if (this.kind === 'regex') checkRe2(scope, `${field}.regex`, this.value);
    return { [this.kind]: this.value };
  }
}

const HOW = 'expected a string (an exact match) or a StringMatch built with StringMatch.exact(\'…\'), ' +
  'StringMatch.prefix(\'…\') or StringMatch.regex(\'…\'); a plain object such as { prefix: \'/api\' } is not one';

/**
 * Accepts a StringMatch or a bare string (an exact match) from props, as plain JavaScript or an
 * `as any` may pass anything.
 * @throws PropError (`MP_INVALID_PROP`) naming `scope`'s path and `field` for anything else
 *   (a plain `{ exact: … }` object, a number, null), saying how to build a StringMatch.
 */
export function toStringMatch(value: unknown, scope: IConstruct, field: string): StringMatch {
  if (typeof value === 'string') return StringMatch.exact(value);
  if (value instanceof StringMatch) return value;
  throw new PropError('MP_INVALID_PROP', scope, field, value, HOW);
}

/** Accepts a StringMatch or a bare string (an exact match) and returns the Istio message; refuses anything else (see toStringMatch). */
export function translateStringMatch(value: StringMatch | string, scope: IConstruct, field: string): StringMatchSpec {
  return toStringMatch(value, scope, field).toIstio(scope, field);
}

/** Escapes every RE2 metacharacter so `text` matches itself literally. */
export function escapeRe2(text: string): string {
  return text.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}
