/**
 * What Envoy says when it compiles a `RegexMatcher` (google_re2) on receipt
 * (`source/common/common/regex.cc` `CompiledGoogleReMatcher`): the pattern must parse as RE2, and its program
 * must not be larger than the runtime key `re2.max_program_size.error_level`, which Istio's bootstrap sets to
 * 32768 (`pkg/bootstrap/config.go`). Either failure refuses the whole resource (a NACK).
 *
 * re2js follows Go's `regexp/syntax`, which accepts what C++ RE2 accepts (save `\C`, one byte, which it
 * refuses and RE2 takes) and words its errors differently; {@link envoyRegexError} answers in RE2's words
 * (`missing ): /(v2`), as Envoy prints them.
 */
import { RE2JSSyntaxException } from 're2js';
import { re2 } from './re2.js';

/** `re2.max_program_size.error_level` in Istio's Envoy bootstrap (Envoy's own default is 100). */
export const ISTIO_RE2_MAX_PROGRAM_SIZE = 32768;

/** Go `regexp/syntax` error codes → C++ RE2's `RegexpStatus::CodeText`. */
const RE2_WORDS: Readonly<Record<string, string>> = {
  'missing closing )': 'missing )',
  'missing closing ]': 'missing ]',
  'unexpected )': 'unexpected )',
  'trailing backslash at end of expression': 'trailing \\',
  'missing argument to repetition operator': 'no argument for repetition operator',
  'invalid repeat count': 'invalid repetition size',
  'invalid nested repetition operator': 'bad repetition operator',
  'invalid or unsupported Perl syntax': 'invalid perl operator',
  'invalid named capture': 'invalid named capture group',
  'invalid escape sequence': 'invalid escape sequence',
  'invalid character class': 'invalid character class',
  'invalid character class range': 'invalid character class range',
  'invalid UTF-8': 'invalid UTF-8',
  'expression too large': 'pattern too large - compile failed',
};

/** An unescaped `\C` (RE2's any byte, which Go's syntax lacks) replaced by one character, for the parse only. */
function withoutAnyByte(pattern: string): string {
  return pattern.includes('\\C') ? pattern.replace(/(?<!\\)((?:\\\\)*)\\C/g, '$1(?s:.)') : pattern;
}

/**
 * Why Envoy (with Istio's bootstrap) refuses `pattern` as a `RegexMatcher.regex`, in Envoy's words, or undefined:
 * RE2's parse error (`missing ): /(v2`, `invalid perl operator: (?=`), or the program-size limit. The size is
 * re2js's instruction count, which is not above C++ RE2's, so a pattern is never refused that Envoy would take.
 */
export function envoyRegexError(pattern: string): string | undefined {
  let size: number;
  try {
    size = re2(withoutAnyByte(pattern)).programSize();
  } catch (e) {
    if (!(e instanceof RE2JSSyntaxException)) return e instanceof Error ? e.message : String(e);
    const code = e.error ?? '';
    const words = RE2_WORDS[code] ?? code;
    return e.input ? `${words}: ${e.input}` : words;
  }
  if (size > ISTIO_RE2_MAX_PROGRAM_SIZE) {
    return `regex '${pattern}' RE2 program size of ${size} > max program size of ${ISTIO_RE2_MAX_PROGRAM_SIZE} set for the error level threshold. Increase configured max program size if necessary.`;
  }
  return undefined;
}
