/**
 * The Service istiod creates with the automated deployment of a Gateway API Gateway
 * (gatewaycommon/deploymentcontroller.go `configureIstioGateway` + `extractServicePorts`, rendering the Service of
 * manifests/charts/istio-control/istio-discovery/files/kube-gateway.yaml): `<name>-<gatewayClassName>` (or the
 * `gateway.istio.io/name-override` annotation) in the Gateway's namespace, selecting the deployment's pods by
 * `gateway.networking.k8s.io/gateway-name: <name>`. meshproof models it as a Service object of its own, made from
 * the Gateway like the Deployment (`gateway-api-deployment.ts`), so the service registry holds its host: sidecars
 * get its outbound clusters, and references to it resolve.
 *
 * The ports include the listeners of the ListenerSets whose namespace the Gateway's `allowedListeners` admits
 * (the deployment controller does not judge the class or conflicts); a ListenerSet listener without `port`, which
 * istiod would add as port 0 (a Service the API server refuses), is left out.
 *
 * Read from istio/istio at 86c9f01f (2026-08-22). Pure data.
 */
import { GATEWAY_API_GROUP, gatewayApiOf } from './gateway-api.js';
import { GATEWAY_CLASS_NAME_LABEL, GATEWAY_NAME_LABEL, NAME_OVERRIDE_ANNOTATION, SERVICE_ACCOUNT_ANNOTATION, infrastructureLabels, isManagedGateway, istioControllerClass, managedDeploymentName } from './gateway-api-deployment.js';
import { allowedListenersAdmit, listenerSetParentRef } from './gateway-api-listener-sets.js';
import { generatedObject, isRecord, stringMap, type MeshObject } from './object.js';

/** The Gateway annotation that sets the Service's type (`annotation.NetworkingServiceType`). */
export const SERVICE_TYPE_ANNOTATION = 'networking.istio.io/service-type';

/** The Service type of the `istio` class when the Gateway sets none (`ClassInfo.DefaultServiceType`). */
export const DEFAULT_GATEWAY_SERVICE_TYPE = 'LoadBalancer';

/** Annotations the template does not copy onto the Service (kube-gateway.yaml `omit`). */
const NOT_COPIED = new Set(['kubectl.kubernetes.io/last-applied-configuration', NAME_OVERRIDE_ANNOTATION, SERVICE_ACCOUNT_ANNOTATION, 'gateway.istio.io/controller-version']);

/** The longest Service port name Kubernetes takes (a DNS label). */
const MAX_PORT_NAME = 63;

/** One port of the generated Service: kube-gateway.yaml `spec.ports[]`. */
export interface GatewayServicePort {
  readonly name: string;
  readonly port: number;
  /** Always `TCP` (QUIC's UDP twin ports need `PILOT_ENABLE_QUIC_LISTENERS`, off by default). */
  readonly protocol: 'TCP';
  /** The listener protocol lowercased (`http`, `https`, `tls`, `tcp`); `tcp` for `status-port`. */
  readonly appProtocol: string;
}

/**
 * The annotations istiod copies (`extractInfrastructureAnnotations`): `spec.infrastructure.annotations` without the
 * `gateway.networking.k8s.io/` ones when set, else the Gateway's own; minus those the template omits. So a
 * `networking.istio.io/exportTo` on the Gateway reaches its Service.
 */
export function infrastructureAnnotations(gateway: MeshObject): Record<string, string> {
  const infra = isRecord(gateway.spec.infrastructure) && isRecord(gateway.spec.infrastructure.annotations) ? stringMap(gateway.spec.infrastructure.annotations) : undefined;
  const from = infra ? Object.entries(infra).filter(([k]) => !k.startsWith('gateway.networking.k8s.io/')) : Object.entries(gateway.annotations);
  return Object.fromEntries(from.filter(([k]) => !NOT_COPIED.has(k)));
}

/** A listener name as a port name (`sanitizeListenerNameForPort`): dots become dashes, at most 63 characters. */
function portNameOf(listener: string): string {
  return listener.replaceAll('.', '-').slice(0, MAX_PORT_NAME);
}

/** `uniquePortName`: `name` cut to 63 characters, else `-<port>` (then `x`s) appended until unused. */
function uniquePortName(name: string, port: number, used: Set<string>): string {
  const base = name.slice(0, MAX_PORT_NAME);
  let candidate = base;
  for (let suffix = `-${port}`; used.has(candidate); suffix += 'x') {
    candidate = base.slice(0, Math.min(base.length, MAX_PORT_NAME - suffix.length)) + suffix;
  }
  used.add(candidate);
  return candidate;
}

/**
 * The ports of the generated Service (`extractServicePorts`): `status-port` 15021 (appProtocol `tcp`) first, then
 * one per distinct listener port in listener order (the first listener on a port names it), named after the
 * listener, appProtocol the listener protocol lowercased; no `targetPort` (the port itself).
 */
export function gatewayServicePorts(gateway: MeshObject, listenerSets: readonly MeshObject[] = []): GatewayServicePort[] {
  const out: GatewayServicePort[] = [{ name: 'status-port', port: 15021, protocol: 'TCP', appProtocol: 'tcp' }];
  const used = new Set(['status-port']);
  const seen = new Set<number>();
  // The Gateway's listeners, then its ListenerSets' (extractServicePorts over `allListeners`), numbered together.
  const listeners = [gateway, ...listenerSets].flatMap((o) => (Array.isArray(o.spec.listeners) ? o.spec.listeners : []));
  listeners.forEach((l, i) => {
    if (!isRecord(l) || typeof l.port !== 'number' || seen.has(l.port)) return;
    seen.add(l.port);
    const protocol = typeof l.protocol === 'string' ? l.protocol.toLowerCase() : '';
    const written = typeof l.name === 'string' ? portNameOf(l.name) : '';
    out.push({ name: uniquePortName(written !== '' ? written : `${protocol}-${i}`, l.port, used), port: l.port, protocol: 'TCP', appProtocol: protocol });
  });
  return out;
}

/** The Service type: the {@link SERVICE_TYPE_ANNOTATION} annotation, else {@link DEFAULT_GATEWAY_SERVICE_TYPE}. */
export function gatewayServiceType(gateway: MeshObject): string {
  return gateway.annotations[SERVICE_TYPE_ANNOTATION] ?? DEFAULT_GATEWAY_SERVICE_TYPE;
}

/**
 * The Service istiod renders for `gateway`, as a mesh object whose file, lines and TypeScript origin are the
 * Gateway's (every path locates at its `spec.gatewayClassName`, as the Deployment's do): labels the infrastructure
 * labels plus {@link GATEWAY_NAME_LABEL} and {@link GATEWAY_CLASS_NAME_LABEL}, annotations
 * {@link infrastructureAnnotations}, `spec.selector` `{gateway.networking.k8s.io/gateway-name: <name>}`, the ports of
 * {@link gatewayServicePorts}, `type` {@link gatewayServiceType}, `loadBalancerIP` the first address when the Gateway
 * has one and the type is LoadBalancer, `ipFamilyPolicy: PreferDualStack`.
 */
export function managedGatewayService(gateway: MeshObject, listenerSets: readonly MeshObject[] = []): MeshObject {
  const name = managedDeploymentName(gateway);
  const type = gatewayServiceType(gateway);
  const labels = { ...infrastructureLabels(gateway), [GATEWAY_NAME_LABEL]: gateway.name, [GATEWAY_CLASS_NAME_LABEL]: String(gateway.spec.gatewayClassName) };
  const annotations = infrastructureAnnotations(gateway);
  const addresses = Array.isArray(gateway.spec.addresses) ? gateway.spec.addresses : [];
  const first = isRecord(addresses[0]) && typeof addresses[0].value === 'string' ? addresses[0].value : undefined;
  const spec = {
    ipFamilyPolicy: 'PreferDualStack',
    ports: gatewayServicePorts(gateway, listenerSets),
    selector: { [GATEWAY_NAME_LABEL]: gateway.name },
    ...(first !== undefined && type === 'LoadBalancer' ? { loadBalancerIP: first } : {}),
    type,
  };
  const body = {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name, namespace: gateway.namespace, labels, annotations, ownerReferences: [{ apiVersion: `${GATEWAY_API_GROUP}/v1`, kind: 'Gateway', name: gateway.name }] },
    spec,
  };
  return generatedObject(gateway, { group: '', body }, { namespace: gateway.namespace, name, labels, annotations }, gateway.locate(['spec', 'gatewayClassName']));
}

/** The Gateway each generated Service was made from. */
const GENERATED = new WeakMap<MeshObject, MeshObject>();
/**
 * The Service made from each Gateway object: a Gateway a successor graph keeps (the same object) gets the very same
 * Service, so the service registry's reuse by object (`ServiceRegistry` `previous`) holds for it too.
 */
const BY_GATEWAY = new WeakMap<MeshObject, { readonly sets: readonly MeshObject[]; readonly service: MeshObject }>();

/** The ListenerSets whose listeners join `gateway`'s Service ports: parentRef the Gateway, namespace admitted (`listenerSetByParent` + `NamespaceAcceptedByAllowListeners`), input order. */
function listenerSetsAdmitted(graph: { readonly objects: readonly MeshObject[] }, gateway: MeshObject): MeshObject[] {
  return gatewayApiOf(graph).ofKind('ListenerSet').filter((set) => {
    const ref = listenerSetParentRef(set);
    return ref !== undefined && ref.namespace === gateway.namespace && ref.name === gateway.name && allowedListenersAdmit(graph, gateway, set.namespace).admitted;
  });
}

/** The Gateway API Gateway a Service of {@link managedGatewayServices} was made from, else undefined. */
export function gatewayOfManagedService(o: MeshObject): MeshObject | undefined {
  return GENERATED.get(o);
}

/**
 * The Services istiod creates for the Gateway API Gateways of `objects` ({@link managedGatewayService}): one per
 * Gateway it deploys (an {@link istioControllerClass} Gateway that {@link isManagedGateway}), unless `objects` holds a
 * Service of that name in that namespace already (a dump of the cluster: that one is the gateway's). Input order.
 */
export function managedGatewayServices(graph: { readonly objects: readonly MeshObject[] }): MeshObject[] {
  const index = gatewayApiOf(graph);
  const gateways = index.ofKind('Gateway');
  if (gateways.length === 0) return [];
  const services = new Set(graph.objects.filter((o) => o.kind === 'Service' && o.group === '').map((o) => o.key));
  const classes = index.ofKind('GatewayClass');
  const out: MeshObject[] = [];
  for (const gw of gateways) {
    if (!istioControllerClass(gw, classes) || !isManagedGateway(gw)) continue;
    const sets = listenerSetsAdmitted(graph, gw);
    const known = BY_GATEWAY.get(gw);
    let s = known && known.sets.length === sets.length && known.sets.every((x, i) => x === sets[i]) ? known.service : undefined;
    if (!s) {
      s = managedGatewayService(gw, sets);
      BY_GATEWAY.set(gw, { sets, service: s });
      GENERATED.set(s, gw);
    }
    if (services.has(s.key)) continue;
    services.add(s.key);
    out.push(s);
  }
  return out;
}
