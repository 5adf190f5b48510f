import { isRecord } from '../../../mesh/object.js';
import { formatPath } from '../../../mesh/parse.js';
import { re2 } from '../../../validate/re2.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';
import { httpMatchesOf } from './_walk.js';

/** Istio's limit (`validateStringRegexp`): longer regexes are refused. */
const MAX_REGEX_LENGTH = 1024;

/** Why Istio's webhook refuses `regex`, or undefined when it accepts it. */
export function regexProblem(regex: string): string | undefined {
  if (regex === '') return 'regex string match should not be empty';
  if (regex.length > MAX_REGEX_LENGTH) return `regex is too large, max length allowed is ${MAX_REGEX_LENGTH}`;
  try {
    re2(regex);
    return undefined;
  } catch (e) {
    return `${e instanceof Error ? e.message : String(e)}; Istio uses RE2 regexes (no look-around, no back-references)`;
  }
}

/** `validation/invalid-regex` (IST0106): a VirtualService regex that Istio's webhook refuses. */
const invalidRegex: Rule = {
  id: 'validation/invalid-regex',
  istioCode: 'IST0106',
  severity: 'error',
  summary: 'A VirtualService `regex` is not valid RE2, is empty, or is longer than 1,024 characters.',
  docs: [
    'Istio compiles every `regex` string match with Go\'s RE2 (`validateStringMatchRegexp`): look-around `(?=…)`,',
    'back-references `\\1` and possessive quantifiers do not exist there, and Envoy refuses programs that are too',
    'large, so istiod limits the length to 1,024. The CRD schema does not check this; the admission webhook refuses',
    'the VirtualService (and `istioctl analyze` reports IST0106 SchemaValidationError; older Istio had IST0122',
    'InvalidRegexp). Checked: `match[].uri`, `scheme`, `method`, `authority`, `headers`, `queryParams`,',
    '`withoutHeaders` (where `regex: "*"` means presence) and `corsPolicy.allowOrigins`. Compiled with re2js, the same',
    'RE2 semantics. Fix: rewrite the pattern without the unsupported construct.',
  ].join(' '),
  kinds: ['VirtualService'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      const check = (sm: unknown, path: FieldPath, presenceStar = false) => {
        if (!isRecord(sm) || typeof sm.regex !== 'string' || (presenceStar && sm.regex === '*')) return;
        const problem = regexProblem(sm.regex);
        if (problem) ctx.report(vs, `Invalid regex ${JSON.stringify(sm.regex.length > 80 ? `${sm.regex.slice(0, 80)}…` : sm.regex)} in ${formatPath(path)}: ${problem}`, { path: [...path, 'regex'] });
      };
      for (const { match, path } of httpMatchesOf(vs)) {
        for (const k of ['uri', 'scheme', 'method', 'authority']) check(match[k], [...path, k]);
        for (const k of ['headers', 'queryParams', 'withoutHeaders']) {
          const m = match[k];
          if (isRecord(m)) for (const name of Object.keys(m)) check(m[name], [...path, k, name], k === 'withoutHeaders');
        }
      }
      (Array.isArray(vs.spec.http) ? vs.spec.http : []).forEach((rule, i) => {
        const cors = isRecord(rule) && isRecord(rule.corsPolicy) ? rule.corsPolicy : undefined;
        (Array.isArray(cors?.allowOrigins) ? cors.allowOrigins : []).forEach((o, j) => check(o, ['spec', 'http', i, 'corsPolicy', 'allowOrigins', j]));
      });
    }
  },
};

export default invalidRegex;
