import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { CanaryRelease } from '../src/constructs/canary-release.js';
import { Duration } from '../src/constructs/duration.js';
import { MeshService } from '../src/constructs/mesh-service.js';
import { Percent } from '../src/constructs/percent.js';
import { RouteTable } from '../src/constructs/route-table.js';
import { allowCallers, ingressPrincipal } from './_namespace.js';
import { MeshNamespace } from '../src/constructs/mesh-namespace.js';

const NAMESPACE = 'customers';

/**
 * A customers API in a canary release: 90/10 between v1 and v2, `x-canary: always` pinned to v2,
 * every request of the split mirrored to v3 (the next version, which serves no live traffic, so no
 * request is processed twice), and the circuit breaking and outlier detection that keep a bad
 * canary from hurting callers.
 */
export class Customers extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id, { namespace: NAMESPACE });
    new MeshNamespace(this, 'namespace', { name: NAMESPACE });

    const web = new MeshService(this, 'web-frontend', {
      name: 'web-frontend',
      ports: [{ port: 80, protocol: 'http', targetPort: 8080 }],
      versions: [{ name: 'v1', image: 'gcr.io/tetratelabs/web-frontend:1.0.0', env: { CUSTOMER_SERVICE_URL: 'http://customers.customers.svc.cluster.local' } }],
    });
    const customers = new MeshService(this, 'customers', {
      name: 'customers',
      ports: [{ port: 80, protocol: 'http', targetPort: 3000 }],
      versions: [
        { name: 'v1', image: 'gcr.io/tetratelabs/customers:1.0.0' },
        { name: 'v2', image: 'gcr.io/tetratelabs/customers:2.0.0' },
        { name: 'v3', image: 'gcr.io/tetratelabs/customers:3.0.0' },
      ],
      trafficPolicy: {
        connectionPool: { tcp: { maxConnections: 1 }, http: { http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 } },
        // Eject a pod after 5 consecutive 5xx (Istio's default), not after one: each version runs
        // one pod, and Istio disables Envoy's panic threshold (minHealthPercent 0), so an ejected
        // only pod leaves no host at all and the route's retry fails with 503 instead of retrying.
        // `meshproof verify` found this with traffic when the threshold was 1.
        outlierDetection: {
          consecutive5xxErrors: 5,
          interval: Duration.seconds(10),
          baseEjectionTime: Duration.seconds(30),
          maxEjectionPercent: 100,
        },
      },
    });

    new RouteTable(this, 'web-frontend-routes', { hosts: [web] })
      .addRoute({ route: [{ destination: web, subset: 'v1' }], timeout: Duration.seconds(5) });

    new CanaryRelease(this, 'customers-canary', {
      service: customers,
      stable: 'v1',
      canary: 'v2',
      canaryWeight: 10,
      pinCanary: { header: 'x-canary', value: 'always' },
      mirror: { subset: 'v3', percent: Percent.ALL },
      timeout: Duration.seconds(3),
      retries: { attempts: 1, perTryTimeout: Duration.seconds(1), retryOn: ['5xx', 'connect-failure'] },
    });

    allowCallers(this, NAMESPACE, 'customers', [web.principal], [{ methods: ['GET'], ports: [3000] }]);
    allowCallers(this, NAMESPACE, 'web-frontend', [ingressPrincipal(this)], [{ methods: ['GET'], ports: [8080] }]);
  }
}
