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
