/**
 * The cdk8s app that `npx cdk8s synth` runs: one chart per namespace, one file per chart in dist/.
 *
 * A small shop in the namespace "shop": a web frontend calls an API with a 2 s timeout and one
 * retry. The namespace joins the mesh with STRICT mTLS and deny-by-default authorization, and one
 * ALLOW policy lets the frontend (and only it) call the API. Replace it with your own services.
 */
import { ApiObject, Chart, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import {
  AllowPolicy,
  DefaultDenyPolicy,
  Duration,
  MeshApp,
  MeshService,
  PeerAuthenticationPolicy,
  PolicyScope,
  RouteTable,
} from 'meshproof';

const NAMESPACE = 'shop';

class Shop extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id, { namespace: NAMESPACE });

    const ns = new kplus.Namespace(this, 'namespace', { metadata: { name: NAMESPACE, labels: { 'istio-injection': 'enabled' } } });
    // A Namespace is cluster-scoped: drop the chart's default namespace from it.
    ApiObject.of(ns).addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    new PeerAuthenticationPolicy(this, 'mtls', { scope: PolicyScope.namespace(NAMESPACE), name: 'default' });
    new DefaultDenyPolicy(this, 'deny-all', { namespace: NAMESPACE });

    const web = new MeshService(this, 'web', {
      name: 'web',
      ports: [{ port: 80, protocol: 'http', targetPort: 8080 }],
      versions: [{ name: 'v1', image: 'ghcr.io/example/web:1.0.0', env: { API_URL: `http://api.${NAMESPACE}.svc.cluster.local` } }],
    });
    const api = new MeshService(this, 'api', {
      name: 'api',
      ports: [{ port: 80, protocol: 'http', targetPort: 3000 }],
      versions: [{ name: 'v1', image: 'ghcr.io/example/api:1.0.0' }],
    });

    new RouteTable(this, 'api-routes', { hosts: [api] })
      .addRoute({ route: [{ destination: api, subset: 'v1' }], timeout: Duration.seconds(2), retries: { attempts: 1, perTryTimeout: Duration.seconds(1) } });

    new AllowPolicy(this, 'allow-api', {
      name: 'allow-api',
      scope: PolicyScope.workload({ app: 'api' }, NAMESPACE),
      rules: [{ from: [{ principals: [`cluster.local/ns/${NAMESPACE}/sa/${web.serviceAccountName}`] }], to: [{ methods: ['GET'], ports: [3000] }] }],
    });
  }
}

const app = new MeshApp();
new Shop(app, 'shop');
app.synth();
