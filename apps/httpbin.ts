import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { Duration } from '../src/constructs/duration.js';
import { ExternalService } from '../src/constructs/external-service.js';
import { MeshService } from '../src/constructs/mesh-service.js';
import { MutualTlsGateway } from '../src/constructs/mutual-tls-gateway.js';
import { SidecarScope } from '../src/constructs/sidecar-scope.js';
import { StringMatch } from '../src/constructs/string-match.js';
import { allowCallers, ingressPrincipal } from './_namespace.js';
import { MeshNamespace } from '../src/constructs/mesh-namespace.js';

const NAMESPACE = 'httpbin';

/**
 * httpbin for partners: reachable only through a gateway that demands client certificates (plain
 * HTTP is redirected to HTTPS), STRICT mTLS and deny-by-default inside, and one egress path to an
 * external HTTPS API whose TLS the sidecar originates.
 */
export class Httpbin extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id, { namespace: NAMESPACE });
    new MeshNamespace(this, 'namespace', { name: NAMESPACE });

    const httpbin = new MeshService(this, 'httpbin', {
      name: 'httpbin',
      ports: [{ port: 8000, protocol: 'http', targetPort: 8080 }],
      versions: [{ name: 'v1', image: 'docker.io/mccutchen/go-httpbin:v2.15.0' }],
    });

    const gateway = new MutualTlsGateway(this, 'httpbin-gateway', {
      hosts: ['httpbin.example.com'],
      credentialName: 'httpbin-credential',
      minProtocolVersion: 'TLSV1_3',
    });
    gateway.routes.addRoute({
      name: 'api',
      match: [{ uri: StringMatch.prefix('/') }],
      route: [{ destination: httpbin, subset: 'v1' }],
      timeout: Duration.seconds(30),
    });

    const payments = new ExternalService(this, 'payments-api', {
      name: 'payments-api',
      hosts: ['api.stripe.com'],
      // The proxy image's system bundle, named explicitly so verification never depends on istiod defaults.
      tlsOrigination: { caCertificates: '/etc/ssl/certs/ca-certificates.crt' },
    });

    new SidecarScope(this, 'egress', { egressHosts: ['./*', 'istio-system/*', payments] });
    allowCallers(this, NAMESPACE, 'httpbin', [ingressPrincipal(this)], [{ ports: [8080] }]);
  }
}
