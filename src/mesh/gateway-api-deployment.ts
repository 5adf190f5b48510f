/**
 * The automated deployment istiod creates for a Gateway API Gateway (pilot/pkg/config/kube/gatewaycommon
 * deploymentcontroller.go rendering manifests/charts/istio-control/istio-discovery/files/kube-gateway.yaml):
 * a Deployment (and a Service of the same name, `gateway-api-service.ts`) `<name>-<gatewayClassName>` in the
 * Gateway's namespace whose pods run `istio-proxy` as a router. meshproof models that Deployment as an object of
 * its own, made from the Gateway, so the gateway is a workload and a proxy like any other (`graph.workloads`,
 * `proxiesOf`).
 *
 * Read from istio/istio at 86c9f01f (2026-08-22). Pure data.
 */
import { GATEWAY_API_GROUP, gatewayApiOf } from './gateway-api.js';
import { generatedObject, isRecord, stringMap, type MeshObject } from './object.js';

/** The controller of the `istio` GatewayClass (Istio `constants.ManagedGatewayController`). */
export const ISTIO_GATEWAY_CONTROLLER = 'istio.io/gateway-controller';

/** The pod label the deployment controller selects a Gateway's pods by (`label.IoK8sNetworkingGatewayGatewayName`). */
export const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';

/** The label the deployment controller writes with the class (`gateway.networking.k8s.io/gateway-class-name`). */
export const GATEWAY_CLASS_NAME_LABEL = 'gateway.networking.k8s.io/gateway-class-name';

/** The annotation that renames the deployment and its Service (`gateway.istio.io/name-override`). */
export const NAME_OVERRIDE_ANNOTATION = 'gateway.istio.io/name-override';

/** The annotation that names the pods' service account (`gateway.istio.io/service-account`). */
export const SERVICE_ACCOUNT_ANNOTATION = 'gateway.istio.io/service-account';

/**
 * Whether istiod deploys the Gateway itself (gatewaycommon `IsManaged`): no `spec.addresses`, or exactly one
 * of type IPAddress (the default type); a Hostname address (or several addresses) names an existing
 * gateway Service instead (manual deployment), whose pods get the Gateway by that Service.
 */
export function isManagedGateway(gateway: MeshObject): boolean {
  const addresses = Array.isArray(gateway.spec.addresses) ? gateway.spec.addresses : [];
  if (addresses.length === 0) return true;
  if (addresses.length > 1) return false;
  const a = addresses[0];
  const type = isRecord(a) ? a.type : undefined;
  return type === undefined || type === null || type === 'IPAddress';
}

/**
 * Whether the Gateway's class is run by istiod's gateway controller (`istio.io/gateway-controller`): class
 * `istio`, which istiod creates, or a GatewayClass in the input with that `controllerName`. Waypoints
 * (`istio-waypoint`), east-west and remote gateways are other controllers' deployments.
 */
export function istioControllerClass(gateway: MeshObject, classes: readonly MeshObject[]): boolean {
  const cls = gateway.spec.gatewayClassName;
  if (typeof cls !== 'string') return false;
  const own = classes.find((c) => c.name === cls);
  if (own) return own.spec.controllerName === ISTIO_GATEWAY_CONTROLLER;
  return cls === 'istio';
}

/** `<name>-<gatewayClassName>` (`GetDefaultName`). */
export function defaultGatewayName(gateway: MeshObject): string {
  return `${gateway.name}-${String(gateway.spec.gatewayClassName)}`;
}

/** {@link defaultGatewayName}, or the `gateway.istio.io/name-override` annotation: the Deployment's and Service's name. */
export function managedDeploymentName(gateway: MeshObject): string {
  return gateway.annotations[NAME_OVERRIDE_ANNOTATION] ?? defaultGatewayName(gateway);
}

/**
 * The pods' service account (`TemplateInput.ServiceAccount`): the `gateway.istio.io/service-account` annotation,
 * else {@link defaultGatewayName}; the name override renames the Deployment and Service, not the account.
 */
export function managedServiceAccount(gateway: MeshObject): string {
  return gateway.annotations[SERVICE_ACCOUNT_ANNOTATION] ?? defaultGatewayName(gateway);
}

/**
 * The labels istiod copies from the Gateway (`extractInfrastructureLabels`): `spec.infrastructure.labels`
 * without the `gateway.networking.k8s.io/` ones when set, else the Gateway's own labels.
 */
export function infrastructureLabels(gateway: MeshObject): Record<string, string> {
  const infra = isRecord(gateway.spec.infrastructure) && isRecord(gateway.spec.infrastructure.labels) ? stringMap(gateway.spec.infrastructure.labels) : undefined;
  if (!infra) return { ...gateway.labels };
  return Object.fromEntries(Object.entries(infra).filter(([k]) => !k.startsWith('gateway.networking.k8s.io/')));
}

/**
 * The pod labels of the deployment (kube-gateway.yaml `spec.template.metadata.labels`):
 * `sidecar.istio.io/inject: "false"`, `service.istio.io/canonical-name: <deployment>`,
 * `service.istio.io/canonical-revision: latest`, then the infrastructure labels, then
 * {@link GATEWAY_NAME_LABEL}, {@link GATEWAY_CLASS_NAME_LABEL} and `gateway.istio.io/managed`. (istiod
 * stopped writing `istio.io/gateway-name` in 1.24; it keeps it only on deployments that already had it.)
 */
export function managedPodLabels(gateway: MeshObject): Record<string, string> {
  return {
    'sidecar.istio.io/inject': 'false',
    'service.istio.io/canonical-name': managedDeploymentName(gateway),
    'service.istio.io/canonical-revision': 'latest',
    ...infrastructureLabels(gateway),
    [GATEWAY_NAME_LABEL]: gateway.name,
    [GATEWAY_CLASS_NAME_LABEL]: String(gateway.spec.gatewayClassName),
    'gateway.istio.io/managed': 'istio.io-gateway-controller',
  };
}

/**
 * The Deployment istiod renders for `gateway`, as a mesh object whose file, lines and TypeScript origin
 * are the Gateway's (every path locates at the Gateway's `spec.gatewayClassName`, which asks for it).
 * Its pod template: the labels of {@link managedPodLabels}, `serviceAccountName` ({@link managedServiceAccount}), and the `istio-proxy`
 * container with `args: [proxy, router]` and the ports 15020 (metrics), 15021 (status-port), 15090
 * (http-envoy-prom).
 */
export function managedGatewayDeployment(gateway: MeshObject): MeshObject {
  const name = managedDeploymentName(gateway);
  const labels = managedPodLabels(gateway);
  const body = {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: {
      name, namespace: gateway.namespace,
      labels: { ...infrastructureLabels(gateway), [GATEWAY_NAME_LABEL]: gateway.name, [GATEWAY_CLASS_NAME_LABEL]: labels[GATEWAY_CLASS_NAME_LABEL], 'gateway.istio.io/managed': 'istio.io-gateway-controller' },
      ownerReferences: [{ apiVersion: `${GATEWAY_API_GROUP}/v1`, kind: 'Gateway', name: gateway.name }],
    },
    spec: {
      selector: { matchLabels: { [GATEWAY_NAME_LABEL]: gateway.name } },
      template: {
        metadata: { labels, annotations: { 'istio.io/rev': 'default' } },
        spec: {
          serviceAccountName: managedServiceAccount(gateway),
          containers: [{
            name: 'istio-proxy', args: ['proxy', 'router'],
            ports: [
              { containerPort: 15020, name: 'metrics', protocol: 'TCP' },
              { containerPort: 15021, name: 'status-port', protocol: 'TCP' },
              { containerPort: 15090, name: 'http-envoy-prom', protocol: 'TCP' },
            ],
          }],
        },
      },
    },
  };
  return generatedObject(gateway, { group: 'apps', body }, { namespace: gateway.namespace, name, labels: body.metadata.labels }, gateway.locate(['spec', 'gatewayClassName']));
}

const GENERATED = new WeakMap<MeshObject, MeshObject>();

/** The Gateway API Gateway a Deployment of {@link managedGatewayDeployments} was made from, else undefined. */
export function gatewayOfManagedDeployment(o: MeshObject): MeshObject | undefined {
  return GENERATED.get(o);
}

/**
 * The Deployments istiod creates for the Gateway API Gateways of `objects` ({@link managedGatewayDeployment}):
 * one per Gateway of an {@link istioControllerClass} that is {@link isManagedGateway}, unless `objects` holds a
 * Deployment of that name in that namespace already (a dump of the cluster: that one is the gateway). Input order.
 */
export function managedGatewayDeployments(graph: { readonly objects: readonly MeshObject[] }): MeshObject[] {
  const index = gatewayApiOf(graph);
  const gateways = index.ofKind('Gateway');
  if (gateways.length === 0) return [];
  const deployments = new Set(graph.objects.filter((o) => o.kind === 'Deployment' && o.group === 'apps').map((o) => o.key));
  const classes = index.ofKind('GatewayClass');
  const out: MeshObject[] = [];
  for (const gw of gateways) {
    if (!istioControllerClass(gw, classes) || !isManagedGateway(gw)) continue;
    const d = managedGatewayDeployment(gw);
    if (deployments.has(d.key)) continue;
    deployments.add(d.key);
    GENERATED.set(d, gw);
    out.push(d);
  }
  return out;
}
