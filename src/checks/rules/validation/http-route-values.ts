import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';

type Raw = Readonly<Record<string, unknown>>;
/** The records of a list with their indexes in it (a malformed entry is the schema's to report). */
const records = (v: unknown): [Raw, number][] => (Array.isArray(v) ? v.flatMap((x, i): [Raw, number][] => (isRecord(x) ? [[x, i]] : [])) : []);

/** A finite number: `.inf` and `.nan` are `schema/crd-validation`'s to report (JSON cannot carry them). */
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Istio's `validatePercentage`: 0, or within [0.0001, 100]. */
function percentageProblem(p: unknown): string | undefined {
  if (!isRecord(p) || !finite(p.value)) return undefined;
  const v = p.value;
  return v < 0 || v > 100 || (v > 0 && v < 0.0001) ? `percentage ${v} is neither 0.0, nor in range [0.0001, 100.0]` : undefined;
}

/** The numbers of one `spec.http[i]` the webhook refuses, each with the field it points at. */
function problemsOf(rule: Raw, at: FieldPath): [string, FieldPath][] {
  const out: [string, FieldPath][] = [];
  records(rule.route).forEach(([d, i]) => {
    if (finite(d.weight) && d.weight < 0) out.push([`weight ${d.weight} < 0: weights are relative shares, 0 or more`, [...at, 'route', i, 'weight']]);
  });
  const redirect = isRecord(rule.redirect) ? rule.redirect : undefined;
  const code = redirect?.redirectCode;
  if (finite(code) && code !== 0 && (code < 300 || code > 399)) {
    out.push([`${code} is not a valid redirect code, must be 3xx (use 301, 302, 303, 307 or 308)`, [...at, 'redirect', 'redirectCode']]);
  }
  const fault = isRecord(rule.fault) ? rule.fault : undefined;
  for (const kind of ['delay', 'abort'] as const) {
    const f = fault && isRecord(fault[kind]) ? fault[kind] : undefined;
    const why = f && percentageProblem(f.percentage);
    if (why) out.push([`fault.${kind}: ${why}`, [...at, 'fault', kind, 'percentage', 'value']]);
  }
  const abort = fault && isRecord(fault.abort) ? fault.abort : undefined;
  if (finite(abort?.httpStatus) && (abort.httpStatus < 200 || abort.httpStatus > 600)) {
    out.push([`HTTP status ${abort.httpStatus} is not in range 200-599`, [...at, 'fault', 'abort', 'httpStatus']]);
  }
  records(rule.mirrors).forEach(([m, i]) => {
    const v = isRecord(m.percentage) ? m.percentage.value : undefined;
    if (!finite(v)) return;
    const path: FieldPath = [...at, 'mirrors', i, 'percentage', 'value'];
    if (v > 100) out.push([`mirror percentage must have a max value of 100 (it has ${v})`, path]);
    if (v < 0) out.push([`mirror percentage must have a min value of 0 (it has ${v})`, path]);
  });
  return out;
}

/** `validation/http-route-values` (IST0106): numbers in an HTTP route that Istio's webhook refuses. */
const httpRouteValues: Rule = {
  id: 'validation/http-route-values',
  istioCode: 'IST0106',
  severity: 'error',
  summary: 'A VirtualService http route has a number Istio\'s webhook refuses: a negative weight, a redirect code outside 3xx, a fault percentage or abort status out of range, a mirrors percentage outside 0–100.',
  docs: [
    'Istio\'s admission webhook (`pkg/config/validation`) refuses, beyond the CRD schema: a destination `weight` below 0',
    '(`validateWeight`); a `redirect.redirectCode` other than 0 outside 300–399; a `fault.delay` or `fault.abort`',
    '`percentage.value` that is not 0 and not within [0.0001, 100] (`validatePercentage`); a `fault.abort.httpStatus`',
    'outside 200–600; a `mirrors[].percentage.value` below 0 or above 100. `kubectl apply` fails with the webhook\'s',
    'message. The webhook does not check the top-level `mirrorPercentage` or the deprecated integer `percent` fields:',
    'istiod sends those to Envoy as written. Fix the number (weights are relative shares; percentages are 0–100).',
  ].join(' '),
  kinds: ['VirtualService'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      records(vs.spec.http).forEach(([rule, i]) => {
        for (const [message, path] of problemsOf(rule, ['spec', 'http', i])) ctx.report(vs, message, { path });
      });
    }
  },
};

export default httpRouteValues;
