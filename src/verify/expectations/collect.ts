/**
 * Collects every promise of an app at synth time: route promises of each RouteTable (attributed to
 * the construct that added the route), then those of MeshServices, gateways, namespaces and
 * AllowPolicies, then hand-written `expect(...)` calls. Walks the construct tree in its own
 * (deterministic) order; ids are unique (a repeated id gets `~2`, `~3`).
 */
import { ApiObject } from 'cdk8s';
import type { IConstruct } from 'constructs';
import { sourceOf, sourceOfStack } from '../../app/source-tracking.js';
import { AllowPolicy } from '../../constructs/authorization-policy.js';
import { IngressGateway } from '../../constructs/ingress-gateway.js';
import { MeshNamespace, meshSettingsOf } from '../../constructs/mesh-namespace.js';
import { MeshService } from '../../constructs/mesh-service.js';
import { RouteTable } from '../../constructs/route-table.js';
import { pendingExpectations, toExpectation } from './expect.js';
import { allowPolicyExpectations, gatewayExpectations, namespaceExpectations, serviceExpectations } from './from-policies.js';
import { routeExpectations } from './from-routes.js';
import type { Expectation, ExpectationSource } from './types.js';

/** Path of the expectations file relative to the project root (and the stage root). */
export { EXPECTATIONS_PATH } from './path.js';

function sourceFor(c: IConstruct, root: string | undefined): ExpectationSource {
  const src = root === undefined ? undefined : sourceOf(c, root);
  return { constructPath: c.node.path, ...(src ? { file: src.file, line: src.line } : {}) };
}

/**
 * Every expectation of the app rooted at `app`. `root` is the project root for TypeScript
 * positions (undefined: no positions).
 */
export function collectExpectations(app: IConstruct, root?: string): Expectation[] {
  const all = app.node.findAll();
  const services = all.filter((c): c is MeshService => c instanceof MeshService);
  const gatewayPorts = new Map<string, number>();
  for (const o of all) {
    if (!ApiObject.isApiObject(o) || o.kind !== 'Gateway') continue;
    const json = o.toJson() as { metadata: { name: string; namespace?: string }; spec?: { servers?: { port?: { number?: number }; tls?: { httpsRedirect?: boolean } }[] } };
    const server = (json.spec?.servers ?? []).find((s) => s.tls?.httpsRedirect !== true && typeof s.port?.number === 'number');
    if (server) gatewayPorts.set(`${json.metadata.namespace ?? 'default'}/${json.metadata.name}`, server.port!.number!);
  }
  const clusterDomain = meshSettingsOf(app).clusterDomain;
  const out: Expectation[] = [];
  for (const c of all) {
    if (c instanceof RouteTable) {
      const origins = c.routeOrigins;
      out.push(...routeExpectations(c, {
        clusterDomain,
        versionLabels: (host, subset) => {
          const s = services.find((x) => x.host === host);
          return s !== undefined && s.subsetNames.includes(subset) ? { version: subset } : undefined;
        },
        gatewayPort: (ref) => gatewayPorts.get(ref),
        sourceOf: (_table, i) => {
          const o = origins[i]!;
          const base = sourceFor(o.by, root);
          const src = root === undefined ? undefined : sourceOfStack(o.stack, root);
          return src ? { constructPath: base.constructPath, file: src.file, line: src.line } : base;
        },
      }));
    } else if (c instanceof MeshService) out.push(...serviceExpectations(c, sourceFor(c, root)));
    else if (c instanceof IngressGateway) out.push(...gatewayExpectations(c, sourceFor(c, root)));
    else if (c instanceof MeshNamespace) out.push(...namespaceExpectations(c, sourceFor(c, root)));
    else if (c instanceof AllowPolicy) out.push(...allowPolicyExpectations(c, sourceFor(c, root)));
  }
  const inApp = new Set(all.map((c) => c.node.path));
  for (const p of pendingExpectations(app.node.root).filter((x) => inApp.has(x.chart))) {
    const src = root === undefined ? undefined : sourceOfStack(p.stack, root);
    out.push(toExpectation(p, { constructPath: `${p.chart}/expect`, ...(src ? { file: src.file, line: src.line } : {}) }, clusterDomain));
  }
  return uniqueIds(out);
}

function uniqueIds(list: Expectation[]): Expectation[] {
  const seen = new Map<string, number>();
  return list.map((e) => {
    const n = (seen.get(e.id) ?? 0) + 1;
    seen.set(e.id, n);
    return n === 1 ? e : { ...e, id: `${e.id}~${n}` };
  });
}
