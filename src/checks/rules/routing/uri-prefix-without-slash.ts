import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { httpRulesOf } from './_helpers.js';

/** `routing/uri-prefix-without-slash`: a `uri` prefix or exact match that does not start with `/`, which no request path does. */
const uriPrefixWithoutSlash: Rule = {
  id: 'routing/uri-prefix-without-slash',
  severity: 'warning',
  summary: 'A `match.uri` prefix or exact value does not start with `/`, so no request path can match it.',
  docs: [
    'Envoy matches `uri` against the request path, which always starts with `/` (`/api/orders?x=1`). A prefix `api`',
    'or an exact `health` therefore never matches and the rule is dead (with no default route, requests get 404).',
    'The CRD schema and Istio\'s webhook accept it. An empty prefix (Envoy\'s "match everything") is not reported,',
    'nor are `regex` matches. Fix: write the path with its leading slash, e.g. `prefix: /api`.',
  ].join(' '),
  kinds: ['VirtualService'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      for (const r of httpRulesOf(vs)) {
        r.matches.forEach((m, j) => {
          const uri = m.uri;
          if (!isRecord(uri)) return;
          for (const k of ['prefix', 'exact']) {
            const v = uri[k];
            if (typeof v !== 'string' || v === '' || v.startsWith('/')) continue;
            ctx.report(vs, `uri ${k} ${JSON.stringify(v)} in ${r.path.join('.').replace(/\.(\d+)/g, '[$1]')}.match[${j}] does not start with "/", so no request path matches it; write "/${v}"`, { path: [...r.path, 'match', j, 'uri', k] });
          }
        });
      }
    }
  },
};

export default uriPrefixWithoutSlash;
