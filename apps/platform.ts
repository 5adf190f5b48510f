import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { PeerAuthenticationPolicy, PolicyScope } from '../src/constructs/peer-authentication.js';
import { removeConstructPathLabel } from '../src/constructs/pod-labels.js';

/**
 * What the platform team owns: mesh-wide STRICT mTLS and the shared ingress gateway, deployed the
 * way Istio documents for GitOps (a Deployment whose pods Istio injects with the gateway template),
 * so the check suite sees the workload every Gateway selects and the ports its Service exposes.
 */
export class Platform extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new PeerAuthenticationPolicy(this, 'mesh-mtls', { scope: PolicyScope.mesh(), name: 'default' });

    const namespace = 'istio-ingress';
    // Labelled for injection as Istio's gateway installation guide does, so the injector also fills in
    // the gateway template for pods created without the per-pod label.
    new kplus.Namespace(this, 'namespace', { metadata: { name: namespace, labels: { 'istio-injection': 'enabled' } } });
    const labels = { app: 'istio-ingressgateway', istio: 'ingressgateway' };
    const serviceAccount = new kplus.ServiceAccount(this, 'gateway-sa', {
      metadata: { name: 'istio-ingressgateway', namespace },
      automountToken: true,
    });
    const gateway = new kplus.Deployment(this, 'gateway', {
      metadata: { name: 'istio-ingressgateway', namespace, labels },
      replicas: 2,
      select: false,
      serviceAccount,
      podMetadata: {
        labels: { ...labels, 'sidecar.istio.io/inject': 'true' },
        annotations: { 'inject.istio.io/templates': 'gateway' },
      },
      containers: [{
        name: 'istio-proxy',
        // "auto" is replaced by the injector with the proxy image matching the control plane.
        image: 'auto',
        ports: [{ number: 8080 }, { number: 8443 }],
        securityContext: { ensureNonRoot: true, readOnlyRootFilesystem: true },
      }],
    });
    gateway.select(kplus.LabelSelector.of({ labels }));
    removeConstructPathLabel(gateway);
    const service = new kplus.Service(this, 'gateway-service', {
      metadata: { name: 'istio-ingressgateway', namespace, labels },
      type: kplus.ServiceType.LOAD_BALANCER,
      ports: [
        { name: 'http2', port: 80, targetPort: 8080 },
        { name: 'https', port: 443, targetPort: 8443 },
      ],
    });
    for (const [key, value] of Object.entries(labels)) service.selectLabel(key, value);
  }
}
