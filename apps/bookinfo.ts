import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { IngressGateway } from '../src/constructs/ingress-gateway.js';
import { MeshService } from '../src/constructs/mesh-service.js';
import { Percent } from '../src/constructs/percent.js';
import { RouteTable } from '../src/constructs/route-table.js';
import { StringMatch } from '../src/constructs/string-match.js';
import { Duration } from '../src/constructs/duration.js';
import { allowCallers, ingressPrincipal } from './_namespace.js';
import { MeshNamespace } from '../src/constructs/mesh-namespace.js';

const NAMESPACE = 'bookinfo';
const image = (name: string, version: string) => `docker.io/istio/examples-bookinfo-${name}-${version}:1.20.2`;
const HTTP = [{ port: 9080, protocol: 'http' as const }];

/**
 * Istio's Bookinfo: productpage behind the ingress gateway for bookinfo.app; reviews v1/v2/v3 with
 * `end-user: jason` pinned to v2 and everyone else split 75/25 between v1 and v3; ratings with a
 * 10 s timeout and 3 retries of 2 s, and an opt-in 0.1 % 5 s delay experiment.
 */
export class Bookinfo extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id, { namespace: NAMESPACE });
    new MeshNamespace(this, 'namespace', { name: NAMESPACE });

    const productpage = new MeshService(this, 'productpage', {
      name: 'productpage',
      ports: HTTP,
      versions: [{ name: 'v1', image: image('productpage', 'v1') }],
      trafficPolicy: { loadBalancer: { simple: 'LEAST_REQUEST' } },
    });
    const details = new MeshService(this, 'details', {
      name: 'details',
      ports: HTTP,
      versions: [{ name: 'v1', image: image('details', 'v1') }],
      trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' } },
    });
    const reviews = new MeshService(this, 'reviews', {
      name: 'reviews',
      ports: HTTP,
      versions: [
        { name: 'v1', image: image('reviews', 'v1') },
        { name: 'v2', image: image('reviews', 'v2') },
        { name: 'v3', image: image('reviews', 'v3'), trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' } } },
      ],
      trafficPolicy: { loadBalancer: { simple: 'LEAST_REQUEST' } },
    });
    const ratings = new MeshService(this, 'ratings', {
      name: 'ratings',
      ports: HTTP,
      versions: [{ name: 'v1', image: image('ratings', 'v1') }],
      trafficPolicy: { loadBalancer: { simple: 'LEAST_REQUEST' } },
    });

    const gateway = new IngressGateway(this, 'bookinfo-gateway', {
      hosts: ['bookinfo.app'],
      credentialName: 'bookinfo-app-cert',
    });
    gateway.routes.addRoute({
      name: 'productpage',
      match: ['/productpage', '/login', '/logout'].map((uri) => ({ uri: StringMatch.exact(uri) }))
        .concat([{ uri: StringMatch.prefix('/static/') }, { uri: StringMatch.prefix('/api/v1/products') }]),
      route: [{ destination: productpage, subset: 'v1' }],
      timeout: Duration.seconds(15),
    });

    new RouteTable(this, 'productpage-routes', { hosts: [productpage] })
      .addRoute({ route: [{ destination: productpage, subset: 'v1' }] });
    new RouteTable(this, 'details-routes', { hosts: [details] })
      .addRoute({ route: [{ destination: details, subset: 'v1' }] });

    const reviewsRoutes = new RouteTable(this, 'reviews-routes', { hosts: [reviews] });
    reviewsRoutes.addRoute({
      name: 'jason-on-v2',
      match: [{ headers: { 'end-user': StringMatch.exact('jason') } }],
      route: [{ destination: reviews, subset: 'v2' }],
    });
    reviewsRoutes.addRoute({
      name: 'v1-v3-split',
      route: [{ destination: reviews, subset: 'v1', weight: 75 }, { destination: reviews, subset: 'v3', weight: 25 }],
    });

    // The delay experiment gets its own route, opted into per request, so only callers that ask for
    // it are delayed (a timeout on that route would not cut the injected 5 s: Envoy's fault filter
    // holds the request before the router starts the timeout). Every other call keeps the timeout
    // budget (3 tries after the first, 2 s each: 8 s, inside the 10 s timeout).
    const ratingsRoutes = new RouteTable(this, 'ratings-routes', { hosts: [ratings] });
    ratingsRoutes.addRoute({
      name: 'delay-experiment',
      match: [{ headers: { 'x-chaos-experiment': StringMatch.exact('ratings-delay') } }],
      route: [{ destination: ratings, subset: 'v1' }],
      fault: { delay: { fixedDelay: Duration.seconds(5), percentage: Percent.of(0.1) } },
    });
    ratingsRoutes.addRoute({
      name: 'default',
      route: [{ destination: ratings, subset: 'v1' }],
      timeout: Duration.seconds(10),
      retries: { attempts: 3, perTryTimeout: Duration.seconds(2), retryOn: ['5xx', 'reset', 'connect-failure', 'refused-stream'] },
    });

    const calls = (path: string) => [{ methods: ['GET'], paths: [path], ports: [9080] }];
    allowCallers(this, NAMESPACE, 'productpage', [ingressPrincipal(this)], [{ methods: ['GET', 'POST'], ports: [9080] }]);
    allowCallers(this, NAMESPACE, 'details', [productpage.principal], calls('/details/*'));
    allowCallers(this, NAMESPACE, 'reviews', [productpage.principal], calls('/reviews/*'));
    allowCallers(this, NAMESPACE, 'ratings', [reviews.principal], calls('/ratings/*'));
  }
}
