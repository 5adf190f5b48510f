import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';
import { headerOperationsOf, httpMatchesOf } from './_walk.js';

/** RFC 7230 token characters (Istio's `validHeaderNameRegex`). */
const PSEUDO = new Set([':method', ':scheme', ':authority', ':path', ':status']);
const TOKEN = /^[!#$%&'*+\-.^_`|~A-Za-z0-9]+$/;
/** `@request.auth.claims.<claim>` (or `[claim]` form): JWT claim routing keys in matches. */
const CLAIM = /^@request\.auth\.claims(\.[^.]+)+$|^@request\.auth\.claims(\[[^\]]+\])+$/;

/** `validation/header-name` (IST0106): header names Istio's webhook refuses in matches and header operations. */
const headerName: Rule = {
  id: 'validation/header-name',
  istioCode: 'IST0106',
  severity: 'error',
  summary: 'A VirtualService header match or header operation uses a name that is not a valid HTTP header name.',
  docs: [
    'Istio validates header names (`ValidateHTTPHeaderNameOrJwtClaimRoute`, `ValidateHTTPHeaderOperationName`): a',
    'match key must be an RFC 7230 token (letters, digits and `!#$%&\'*+-.^_`|~`; no spaces, colons or slashes), a',
    'pseudo-header (`:method`, `:scheme`, `:authority`, `:path`, `:status`) or `@request.auth.claims.<claim>` (JWT claim',
    'routing). Header operations (`headers.request/response.add/set/remove`, on the http rule or a `route[]`',
    'destination) may not be empty, may not use a `:`',
    'prefix (except `:authority` in request add/set) and, except in request add/set, may not name `host`. The webhook',
    'refuses the VirtualService (IST0106). Fix the header name (e.g. `x-user-id`, not `x user id` or `x-user:id`).',
  ].join(' '),
  kinds: ['VirtualService'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      const bad = (name: string, path: FieldPath, why: string) => ctx.report(vs, `header name ${JSON.stringify(name)} is not a valid header name (${why}); use an RFC 7230 token such as "x-user-id"`, { path });
      for (const { match, path } of httpMatchesOf(vs)) {
        for (const k of ['headers', 'withoutHeaders']) {
          const m = match[k];
          if (!isRecord(m)) continue;
          for (const name of Object.keys(m)) {
            if (name === '') bad(name, [...path, k], 'empty');
            else if (!TOKEN.test(name) && !CLAIM.test(name) && !PSEUDO.has(name)) bad(name, [...path, k, name], `in ${k}`);
          }
        }
      }
      for (const { ops, path: at } of headerOperationsOf(vs)) {
        const refuse = (name: string, path: FieldPath, why: string) => ctx.report(vs, `invalid header ${JSON.stringify(name)}: ${why}`, { path });
        for (const dir of ['request', 'response']) {
          const d = isRecord(ops[dir]) ? (ops[dir] as Record<string, unknown>) : undefined;
          if (!d) continue;
          const names: [string, FieldPath, boolean][] = [];
          for (const op of ['add', 'set']) {
            const m = d[op];
            if (isRecord(m)) for (const name of Object.keys(m)) names.push([name, [...at, dir, op, name], dir === 'request']);
          }
          (Array.isArray(d.remove) ? d.remove : []).forEach((name, j) => {
            if (typeof name === 'string') names.push([name, [...at, dir, 'remove', j], false]);
          });
          for (const [name, path, requestSet] of names) {
            if (name === '') refuse(name, path, 'header name cannot be empty');
            else if (!requestSet && name.toLowerCase() === 'host') refuse(name, path, 'cannot set Host header here; rewrite.authority changes it');
            else if (name.startsWith(':') && !(requestSet && name.toLowerCase() === ':authority')) refuse(name, path, 'header cannot have ":" prefix');
          }
        }
      }
    }
  },
};

export default headerName;
