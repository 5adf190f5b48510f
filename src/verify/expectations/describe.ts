/**
 * How a promise's request reads in reports, shared by construct promises, `expect()` and route tests.
 * Imports nothing from the construct library, so `meshproof verify` and `check` load without it.
 */
import type { RequestSpec } from './types.js';

/** `GET reviews.bookinfo.svc.cluster.local/ with end-user: jason through gateway istio-ingress/gw:443` */
export function describeRequest(r: RequestSpec): string {
  const hs = Object.entries(r.headers).map(([k, v]) => `${k}: ${v}`);
  const via = r.via.kind === 'gateway' ? ` through gateway ${r.via.gateway}:${r.via.port}` : '';
  return `${r.method} ${r.host}${r.path}${hs.length > 0 ? ` with ${hs.join(', ')}` : ''}${via}`;
}
