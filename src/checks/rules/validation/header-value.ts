import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { headerOperationsOf } from './_walk.js';

/** Istio's httpHeaderValueRegexp: no control character other than horizontal tab. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000A-\u001F\u007F]/;

/**
 * Why Istio's validateHeaderValue (pkg/config/validation/header_value_validator.go, after Envoy's header formatter
 * parser) refuses `value`, in its words, or undefined. `%%` is a literal `%`; `%VAR%` and `%VAR(args)%` are
 * substitutions, whose `(…)` may hold a JSON array of strings or one bare argument. A lone `%` at the end, a `%`
 * that opens a variable never closed (`50% off`), or an argument list not closed by `)` and `%` is refused.
 */
export function headerValueProblem(value: string): string | undefined {
  type State = 'literal' | 'name' | 'array' | 'string-start' | 'string' | 'delim' | 'args-end' | 'var-end';
  let state: State = 'literal';
  for (let pos = 0; pos < value.length; pos++) {
    const ch = value[pos]!;
    const hasNext = pos + 1 < value.length;
    switch (state) {
      case 'literal':
        if (ch !== '%') break;
        if (!hasNext) return 'invalid header configuration. Un-escaped %';
        if (value[pos + 1] === '%') pos++;
        else state = 'name';
        break;
      case 'name':
        if (ch === '%') state = 'literal';
        else if (ch === '(') state = 'array';
        break;
      case 'array':
        if (ch === '[') state = 'string-start';
        else if (ch !== ' ') state = 'string';
        break;
      case 'delim':
        if (ch === ',') state = 'string-start';
        else if (ch === ']') state = 'args-end';
        else if (ch !== ' ') return 'invalid header configuration. Expecting \',\', \']\', or whitespace';
        break;
      case 'string-start':
        if (ch === '"') state = 'string';
        else if (ch !== ' ') return 'invalid header configuration. Expecting \'"\'';
        break;
      case 'string':
        if (ch === '\\') {
          if (!hasNext) return 'invalid header configuration. Un-terminated backslash in JSON string';
          pos++;
        } else if (ch === ')') state = 'var-end';
        else if (ch === '"') state = 'delim';
        break;
      case 'args-end':
        if (ch === ')') state = 'var-end';
        else if (ch !== ' ') return 'invalid header configuration. Expecting \')\' or whitespace after \'{}\', but found \'{}\'';
        break;
      case 'var-end':
        if (ch === '%') state = 'literal';
        else if (ch !== ' ') return 'invalid header configuration. Expecting \'%\' or whitespace after';
        break;
    }
  }
  return state === 'literal' ? undefined : `invalid header configuration. Un-terminated variable expression '${value}'`;
}

/** Why Istio's ValidateHTTPHeaderValue refuses `value` (control characters, then the formatter syntax), in its words, or undefined. */
export function httpHeaderValueError(value: string): string | undefined {
  if (CONTROL.test(value)) return `header value configuration ${JSON.stringify(value)} is invalid (a control character)`;
  const problem = headerValueProblem(value);
  return problem ? `header value configuration: ${problem}` : undefined;
}

/** `validation/header-value` (IST0106): header operation values Istio's webhook refuses. */
const headerValue: Rule = {
  id: 'validation/header-value',
  istioCode: 'IST0106',
  severity: 'error',
  summary: 'A VirtualService header operation (headers.request/response add or set, on an http rule or a route destination) whose value Istio\'s admission webhook refuses: a control character, or a "%" that is neither "%%" nor a closed %VARIABLE% (e.g. "100%" or "50% off").',
  docs: [
    'Istio\'s `ValidateHTTPHeaderValue` checks every value of `headers.request.add/set` and `headers.response.add/set`,',
    'on `http[]` and on `http[].route[]` destinations. A value may not hold a control character other than tab, and it',
    'is parsed as Envoy parses custom header values: `%` starts a variable (`%HOSTNAME%`, `%REQ(x-id)%`,',
    '`%START_TIME(%s)%`) that must be closed by `%`, and a literal percent sign is written `%%`. A value ending in a',
    'lone `%` ("Un-escaped %"), a `%` that opens a variable never closed ("50% off": "Un-terminated variable',
    'expression") or a malformed argument list is refused, with the whole VirtualService. Which variables Envoy knows',
    'is not checked (Istio does not either). Fix: write a literal percent as `%%` (`100%%`, `50%% off`), or close the',
    'variable.',
  ].join(' '),
  kinds: ['VirtualService'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      for (const { ops, path } of headerOperationsOf(vs)) {
        for (const dir of ['request', 'response']) {
          const d = isRecord(ops[dir]) ? ops[dir] as Record<string, unknown> : undefined;
          for (const op of ['add', 'set']) {
            const m = d && isRecord(d[op]) ? d[op] as Record<string, unknown> : undefined;
            for (const [name, value] of Object.entries(m ?? {})) {
              if (typeof value !== 'string') continue;
              const error = httpHeaderValueError(value);
              if (!error) continue;
              ctx.report(vs, `${error}: the value of header ${JSON.stringify(name)}; write a literal % as %% (e.g. "100%%"), close a variable with % (e.g. %HOSTNAME%), ` +
                'and leave out control characters', { path: [...path, dir, op, name] });
            }
          }
        }
      }
    }
  },
};

export default headerValue;
