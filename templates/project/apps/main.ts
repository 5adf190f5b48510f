/**
 * The cdk8s app that `npx cdk8s synth` runs: one chart per namespace, one file per chart in dist/.
 *
 * A small shop in the namespace "shop": a web frontend calls an API with a 2 s timeout and one
 * retry. The namespace joins the mesh with STRICT mTLS and deny-by-default authorization, and one
 * ALLOW policy lets the frontend (and only it) call the API. Replace it with your own services.
 */
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { AllowPolicy, Duration, MeshApp, MeshNamespace, MeshService, PolicyScope, RouteTable } from 'meshproof';

const NAMESPACE = 'shop';

class Shop extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id, { namespace: NAMESPACE });

    // Sidecar injection, STRICT mTLS and deny-by-default authorization for the whole namespace.
    const ns = new MeshNamespace(this, 'namespace', { name: NAMESPACE });

    const web = new MeshService(this, 'web', {
      name: 'web',
      ports: [{ port: 80, protocol: 'http', targetPort: 8080 }],
      versions: [{ name: 'v1', image: 'ghcr.io/example/web:1.0.0', env: { API_URL: `http://${ns.host('api')}` } }],
    });
    const api = new MeshService(this, 'api', {
      name: 'api',
      ports: [{ port: 80, protocol: 'http', targetPort: 3000 }],
      versions: [{ name: 'v1', image: 'ghcr.io/example/api:1.0.0' }],
    });

    new RouteTable(this, 'api-routes', { hosts: [api] })
      .addRoute({ route: [{ destination: api, subset: 'v1' }], timeout: Duration.seconds(2), retries: { attempts: 1, perTryTimeout: Duration.seconds(1), retryOn: ['5xx', 'connect-failure'] } });

    new AllowPolicy(this, 'allow-api', {
      name: 'allow-api',
      scope: PolicyScope.workload({ app: 'api' }, NAMESPACE),
      rules: [{ from: [{ principals: [ns.principal(web.serviceAccountName)] }], to: [{ methods: ['GET'], ports: [3000] }] }],
    });
  }
}

const app = new MeshApp();
new Shop(app, 'shop');
app.synth();
