import { isRecord, type MeshObject } from '../../../mesh/object.js';
import type { FieldPath } from '../../types.js';

/** One `spec.http[i].match[j]` entry of a VirtualService. */
export interface HttpMatchAt {
  readonly match: Readonly<Record<string, unknown>>;
  readonly path: FieldPath;
}

/** Every http match entry of a VirtualService, with its path. */
export function httpMatchesOf(vs: MeshObject): HttpMatchAt[] {
  const out: HttpMatchAt[] = [];
  (Array.isArray(vs.spec.http) ? vs.spec.http : []).forEach((rule, i) => {
    if (!isRecord(rule) || !Array.isArray(rule.match)) return;
    rule.match.forEach((m, j) => {
      if (isRecord(m)) out.push({ match: m, path: ['spec', 'http', i, 'match', j] });
    });
  });
  return out;
}

/** One `headers` block ({request, response} of {add, set, remove}) of a VirtualService http rule or route destination. */
export interface HeaderOperationsAt {
  readonly ops: Readonly<Record<string, unknown>>;
  readonly path: FieldPath;
}

/**
 * Every header operations block of a VirtualService that Istio's webhook validates: `spec.http[i].headers`
 * (validateHTTPRoute) and `spec.http[i].route[k].headers` (validateHTTPRouteDestinations), with their paths.
 */
export function headerOperationsOf(vs: MeshObject): HeaderOperationsAt[] {
  const out: HeaderOperationsAt[] = [];
  (Array.isArray(vs.spec.http) ? vs.spec.http : []).forEach((rule, i) => {
    if (!isRecord(rule)) return;
    if (isRecord(rule.headers)) out.push({ ops: rule.headers, path: ['spec', 'http', i, 'headers'] });
    (Array.isArray(rule.route) ? rule.route : []).forEach((d, k) => {
      if (isRecord(d) && isRecord(d.headers)) out.push({ ops: d.headers, path: ['spec', 'http', i, 'route', k, 'headers'] });
    });
  });
  return out;
}
