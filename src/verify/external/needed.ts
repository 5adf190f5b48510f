/**
 * The namespaces a set of promises touches, so `verify --runtime` waits only for the callers and
 * workloads those promises need (`--app httpbin` does not wait for bookinfo's proxies): the
 * sending sidecar's namespace (`request.via`), the namespace of each destination host
 * (`<svc>.<ns>.svc.…`, where the inbound sidecars answer), and the namespace an mTLS or
 * authorization promise is about. Requests through a gateway add the gateway's namespace.
 */
import type { Expectation } from '../expectations/types.js';

const hostNamespace = (host: string): string | undefined => /^[^.]+\.([^.]+)\.svc\./.exec(host)?.[1];

/** Namespaces `expectations` need a runtime in (sorted, unique). */
export function namespacesNeeded(expectations: readonly Expectation[]): string[] {
  const out = new Set<string>();
  const add = (ns: string | undefined) => { if (ns !== undefined && ns !== '') out.add(ns); };
  for (const e of expectations) {
    const r = e.request;
    if (r) {
      add(r.via.kind === 'mesh' ? r.via.namespace : r.via.gateway.split('/')[0]);
      add(hostNamespace(r.host));
    }
    const o = e.outcome;
    if (o.kind === 'reaches' || o.kind === 'mirror' || o.kind === 'circuit-breaker' || o.kind === 'outlier-detection') add(hostNamespace(o.destination.host));
    if (o.kind === 'split') for (const s of o.shares) add(hostNamespace(s.destination.host));
    if (o.kind === 'mtls-strict' || o.kind === 'authorization') add(o.namespace);
    if (o.kind === 'https-redirect' || o.kind === 'client-certificate-required') add(o.gateway.split('/')[0]);
  }
  return [...out].sort();
}
