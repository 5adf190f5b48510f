import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { ConfigBundle } from './config-bundle.js';
import { CONTAINER_SECURITY, MANAGED_BY, RESOURCES, SYSTEM_NAMESPACE, XDS_CLIENT_LABEL, podSecurity, systemDeployment } from './_pod.js';

export interface XdsServerProps {
  /** The runtime image, e.g. `meshproof-runtime:e2e` (its entrypoint is the meshproof CLI). */
  readonly image: string;
  /** The app manifests, mounted at `/config` (`/config/dist/*.yaml`). */
  readonly bundle: ConfigBundle;
  /**
   * The Secret holding the mesh CA (`ca-cert.pem`, `ca-key.pem`, as Istio's `cacerts`), mounted at
   * `/ca`: workload certificates over SDS are signed with it, and the expectations Job issues its
   * test clients' certificates from the same CA. Made outside synthesis (a key never belongs in
   * manifests): `kubectl -n meshproof-system create secret generic meshproof-ca --from-file=ca-cert.pem --from-file=ca-key.pem`.
   * @default 'meshproof-ca'
   */
  readonly caSecret?: string;
  /** Pull policy; `IfNotPresent` suits an image loaded with `kind load docker-image`. @default 'IfNotPresent' */
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
}

/** ADS port (Istio's plaintext xDS port). */
export const XDS_PORT = 15010;
/** Status port (`GET /status`, `GET /nacks`), Istio's istiod monitoring port. */
export const XDS_STATUS_PORT = 15014;
/** Where the mesh CA Secret is mounted, and its two files. */
export const CA_MOUNT = { path: '/ca', cert: '/ca/ca-cert.pem', key: '/ca/ca-key.pem' } as const;

/**
 * The control plane: `meshproof xds serve --input /config/dist --in-cluster` as a Deployment and a
 * Service `meshproof-xds.meshproof-system:15010` in `meshproof-system`, with the RBAC its
 * EndpointSlice/Pod watcher needs (ServiceAccount; ClusterRole with get/list/watch on
 * `discovery.k8s.io` endpointslices and core pods, nothing else; ClusterRoleBinding). Ready when the
 * ADS port accepts connections, which `xds serve` opens only after its first load passed the checks.
 * Workload certificates (SDS `default`, `ROOTCA`) are signed by the mesh CA of the Secret `caSecret`.
 * Proxies placed by node id (`<ns>/<workload>?inbound=<pod ip>`, `?as=<ns>/<sa>`) get the inbound side
 * or the identity they ask for (`src/verify/external/placement.ts`).
 *
 * ADS here is plaintext without client authentication (any client may name any node and receive its
 * SDS private key), so a NetworkPolicy `meshproof-xds` admits the ADS port only from the runtime's
 * proxies (pods labelled `meshproof.dev/xds-client: "true"`, in any namespace: callers and the gateway
 * in `meshproof-system`, the echo pods' inbound sidecars in the app namespaces) and the status port
 * only from the runtime's own pods in `meshproof-system`. It narrows who can connect; it does not
 * authenticate (whoever may create a pod with that label gets in). Enforced only where the cluster's
 * network plugin implements NetworkPolicy (kubelet probes from the node are always allowed).
 */
export class XdsServer extends Construct {
  /** The Service's DNS name and port, for `meshproof proxy --xds`. */
  readonly address: string;
  /** The mesh CA Secret's name. */
  readonly caSecret: string;

  constructor(scope: Construct, id: string, props: XdsServerProps) {
    super(scope, id);
    const name = 'meshproof-xds';
    const labels = { app: name, ...MANAGED_BY };
    this.address = `${name}.${SYSTEM_NAMESPACE}.svc:${XDS_PORT}`;
    this.caSecret = props.caSecret ?? 'meshproof-ca';
    new ApiObject(this, 'ServiceAccount', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: SYSTEM_NAMESPACE, labels } });
    new ApiObject(this, 'ClusterRole', {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name, labels },
      rules: [
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
      ],
    });
    new ApiObject(this, 'ClusterRoleBinding', {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace: SYSTEM_NAMESPACE }],
    });
    systemDeployment(this, name, {
      serviceAccountName: name, automountServiceAccountToken: true, securityContext: podSecurity(false),
      containers: [{
        name: 'xds', image: props.image, imagePullPolicy: props.imagePullPolicy ?? 'IfNotPresent',
        // Run in /config, so the bundle's meshproof.config.yaml (context, MeshConfig, cluster domain) is the one found.
        workingDir: '/config',
        args: ['xds', 'serve', '--input', '/config/dist', '--in-cluster', '--listen', `0.0.0.0:${XDS_PORT}`, '--status', `0.0.0.0:${XDS_STATUS_PORT}`, '--ca-cert', CA_MOUNT.cert, '--ca-key', CA_MOUNT.key],
        ports: [{ name: 'grpc-xds', containerPort: XDS_PORT }, { name: 'http-status', containerPort: XDS_STATUS_PORT }],
        readinessProbe: { tcpSocket: { port: XDS_PORT }, periodSeconds: 2, failureThreshold: 60 },
        resources: RESOURCES, securityContext: CONTAINER_SECURITY,
        volumeMounts: [{ name: 'config', mountPath: '/config', readOnly: true }, { name: 'ca', mountPath: CA_MOUNT.path, readOnly: true }],
      }],
      volumes: [props.bundle.volume('config'), { name: 'ca', secret: { secretName: this.caSecret, defaultMode: 0o440 } }],
    });
    new ApiObject(this, 'NetworkPolicy', {
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: SYSTEM_NAMESPACE, labels },
      spec: {
        podSelector: { matchLabels: { app: name } },
        policyTypes: ['Ingress'],
        ingress: [
          { from: [{ namespaceSelector: {}, podSelector: { matchLabels: { ...XDS_CLIENT_LABEL } } }], ports: [{ protocol: 'TCP', port: XDS_PORT }] },
          { from: [{ podSelector: { matchLabels: { ...MANAGED_BY } } }], ports: [{ protocol: 'TCP', port: XDS_STATUS_PORT }] },
        ],
      },
    });
    new ApiObject(this, 'Service', {
      apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: SYSTEM_NAMESPACE, labels },
      spec: {
        selector: { app: name },
        ports: [
          { name: 'grpc-xds', port: XDS_PORT, targetPort: XDS_PORT, appProtocol: 'grpc' },
          { name: 'http-status', port: XDS_STATUS_PORT, targetPort: XDS_STATUS_PORT },
        ],
      },
    });
  }
}
