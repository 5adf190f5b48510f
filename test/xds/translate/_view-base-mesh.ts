/** The YAML meshes of `view-base-workloads.test.ts` (`_view-base.ts` builds states from them). */

/**
 * Namespaces shop and front (injected), legacy (not injected), istio-system with an ingress gateway
 * (its Service's targetPort named after the gateway pod's container port) and a Gateway a front
 * VirtualService binds to; reviews v1/v2 with a DestinationRule and a VirtualService, details,
 * ratings, productpage, two ServiceEntries of one host whose workloadSelector selects the legacy
 * pods (istiod merges their ports into one service), and an AuthorizationPolicy naming principals.
 */
export const BASE = `
apiVersion: v1
kind: Namespace
metadata: { name: shop, labels: { istio-injection: enabled } }
---
apiVersion: v1
kind: Namespace
metadata: { name: front, labels: { istio-injection: enabled } }
---
apiVersion: v1
kind: Namespace
metadata: { name: legacy }
---
apiVersion: v1
kind: Namespace
metadata: { name: istio-system }
---
apiVersion: v1
kind: Service
metadata: { name: istio-ingressgateway, namespace: istio-system }
spec:
  selector: { istio: ingressgateway }
  ports:
  - { name: http, port: 80, targetPort: web }
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: public, namespace: istio-system }
spec:
  selector: { istio: ingressgateway }
  servers:
  - port: { number: 80, name: http, protocol: HTTP }
    hosts: ["*/*.example.com"]
---
apiVersion: v1
kind: Service
metadata: { name: reviews, namespace: shop }
spec:
  selector: { app: reviews }
  ports:
  - { name: http, port: 9080 }
---
apiVersion: v1
kind: Service
metadata: { name: details, namespace: shop }
spec:
  selector: { app: details }
  ports:
  - { name: http, port: 9080 }
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: legacy-a, namespace: shop }
spec:
  hosts: [legacy.shop.internal]
  location: MESH_INTERNAL
  resolution: STATIC
  workloadSelector: { labels: { app: legacy } }
  ports:
  - { number: 8080, name: http, protocol: HTTP }
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: legacy-b, namespace: shop }
spec:
  hosts: [legacy.shop.internal]
  location: MESH_INTERNAL
  resolution: STATIC
  workloadSelector: { labels: { app: legacy } }
  ports:
  - { number: 9090, name: grpc, protocol: GRPC }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: reviews, namespace: shop }
spec:
  selector: { matchLabels: { app: reviews } }
  rules:
  - from: [{ source: { principals: [cluster.local/ns/front/sa/productpage] } }]
---
apiVersion: v1
kind: Service
metadata: { name: ratings, namespace: front }
spec:
  selector: { app: ratings }
  ports:
  - { name: http, port: 8080 }
---
apiVersion: v1
kind: Service
metadata: { name: productpage, namespace: front }
spec:
  selector: { app: productpage }
  ports:
  - { name: http, port: 9080 }
---
apiVersion: v1
kind: Service
metadata: { name: old, namespace: legacy }
spec:
  selector: { app: old }
  ports:
  - { name: http, port: 80 }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: ingress, namespace: istio-system }
spec:
  template:
    metadata: { labels: { istio: ingressgateway } }
    spec: { containers: [{ name: istio-proxy, args: [proxy, router], ports: [{ name: web, containerPort: 8080 }] }] }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: reviews-v1, namespace: shop }
spec:
  template:
    metadata: { labels: { app: reviews, version: v1 } }
    spec: { serviceAccountName: reviews, containers: [{ name: app }] }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: reviews-v2, namespace: shop }
spec:
  template:
    metadata: { labels: { app: reviews, version: v2 } }
    spec: { serviceAccountName: reviews, containers: [{ name: app }] }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: details, namespace: shop }
spec:
  template:
    metadata: { labels: { app: details } }
    spec: { serviceAccountName: details, containers: [{ name: app }] }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: legacy, namespace: shop }
spec:
  template:
    metadata: { labels: { app: legacy } }
    spec: { serviceAccountName: legacy, containers: [{ name: app }] }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: ratings, namespace: front }
spec:
  template:
    metadata: { labels: { app: ratings } }
    spec: { serviceAccountName: ratings, containers: [{ name: app }] }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: productpage, namespace: front }
spec:
  template:
    metadata: { labels: { app: productpage } }
    spec: { serviceAccountName: productpage, containers: [{ name: app }] }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: old, namespace: legacy }
spec:
  template:
    metadata: { labels: { app: old } }
    spec: { containers: [{ name: app }] }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews, namespace: shop }
spec:
  host: reviews
  trafficPolicy:
    tls: { mode: ISTIO_MUTUAL }
  subsets:
  - { name: v1, labels: { version: v1 } }
  - { name: v2, labels: { version: v2 } }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews, namespace: shop }
spec:
  hosts: [reviews]
  http:
  - route:
    - { destination: { host: reviews, subset: v1 }, weight: 80 }
    - { destination: { host: reviews, subset: v2 }, weight: 20 }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ratings-public, namespace: front }
spec:
  hosts: [ratings.example.com]
  gateways: [istio-system/public]
  http:
  - route:
    - destination: { host: ratings }
`;

/**
 * More of the mesh: an ambient namespace with its service and pods, and one workload of every other
 * pod kind (StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) that a Service or ServiceEntry selects.
 */
export const KIND_DOCS = `apiVersion: v1
kind: Namespace
metadata: { name: amb, labels: { istio.io/dataplane-mode: ambient } }
---
apiVersion: v1
kind: Service
metadata: { name: amb, namespace: amb }
spec:
  selector: { app: amb }
  ports:
  - { name: http, port: 8000 }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: amb, namespace: amb }
spec:
  template:
    metadata: { labels: { app: amb } }
    spec: { serviceAccountName: amb, containers: [{ name: app }] }
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: store, namespace: shop }
spec:
  template:
    metadata: { labels: { app: details, tier: store } }
    spec: { serviceAccountName: store, containers: [{ name: app }] }
---
apiVersion: apps/v1
kind: DaemonSet
metadata: { name: agent, namespace: front }
spec:
  template:
    metadata: { labels: { app: ratings, tier: agent } }
    spec: { serviceAccountName: agent, containers: [{ name: app }] }
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: { name: rs, namespace: shop }
spec:
  template:
    metadata: { labels: { app: legacy, tier: rs } }
    spec: { serviceAccountName: rs, containers: [{ name: app }] }
---
apiVersion: batch/v1
kind: Job
metadata: { name: job, namespace: front }
spec:
  template:
    metadata: { labels: { app: productpage, tier: job } }
    spec: { serviceAccountName: job, containers: [{ name: app }] }
---
apiVersion: batch/v1
kind: CronJob
metadata: { name: cron, namespace: shop }
spec:
  jobTemplate:
    spec:
      template:
        metadata: { labels: { app: reviews, version: v1, tier: cron } }
        spec: { serviceAccountName: cron, containers: [{ name: app }] }
`;

/**
 * A mesh for the moved-object tests (`view-moved-*.test.ts`), in the order a chart file could hold
 * it: first an app of its own in namespace tools (Service, Deployment, DestinationRule, then its
 * VirtualService, so that an edit just before the VirtualService moves it alone of the four), then
 * the routing objects that name other services (a VirtualService of `web`, in namespace
 * front, sending /api to `api` and /pay to the `payments.example` ServiceEntry, both in shop, which
 * front's proxies see as every other namespace does; a DestinationRule of `web`), then the
 * services they route to, which have no VirtualService or DestinationRule of their own (so only
 * their own position reaches what is routed to them: default routes, service views, ServiceEntry
 * endpoints), then policies (a namespace-wide PeerAuthentication, an AuthorizationPolicy, a Sidecar
 * of `api` pods), the Gateway with its VirtualService and the ingress pods. Editing a document in
 * the middle moves the ones after it.
 */
export const MOVED_BASE = `
apiVersion: v1
kind: Namespace
metadata: { name: shop, labels: { istio-injection: enabled } }
---
apiVersion: v1
kind: Namespace
metadata: { name: istio-system }
---
apiVersion: v1
kind: Namespace
metadata: { name: front, labels: { istio-injection: enabled } }
---
apiVersion: v1
kind: Namespace
metadata: { name: tools, labels: { istio-injection: enabled } }
---
apiVersion: v1
kind: Service
metadata: { name: static, namespace: tools }
spec:
  selector: { app: static }
  ports:
  - { name: http, port: 8000 }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: static, namespace: tools }
spec:
  template:
    metadata: { labels: { app: static, version: v1 } }
    spec: { containers: [{ name: app }] }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: static, namespace: tools }
spec:
  host: static
  subsets:
  - { name: v1, labels: { version: v1 } }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: static, namespace: tools }
spec:
  hosts: [static]
  http:
  - route: [{ destination: { host: static, subset: v1 } }]
    timeout: 5s
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: web, namespace: front }
spec:
  hosts: [web]
  http:
  - match: [{ uri: { prefix: /api } }]
    route: [{ destination: { host: api.shop } }]
    timeout: 3s
  - match: [{ uri: { prefix: /pay } }]
    route: [{ destination: { host: payments.example } }]
  - route: [{ destination: { host: web, subset: v1 } }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: web, namespace: front }
spec:
  host: web
  subsets:
  - { name: v1, labels: { version: v1 } }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: front }
spec:
  selector: { app: web }
  ports:
  - { name: http, port: 8080 }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: front }
spec:
  template:
    metadata: { labels: { app: web, version: v1 } }
    spec: { containers: [{ name: app }] }
---
apiVersion: v1
kind: Service
metadata: { name: api, namespace: shop }
spec:
  selector: { app: api }
  ports:
  - { name: http, port: 9090 }
  - { name: grpc-admin, port: 9091 }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: api, namespace: shop }
spec:
  template:
    metadata: { labels: { app: api } }
    spec: { containers: [{ name: app, ports: [{ containerPort: 9090 }] }] }
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: payments, namespace: shop }
spec:
  hosts: [payments.example]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports:
  - { number: 80, name: http, protocol: HTTP }
  endpoints:
  - { address: 10.9.0.1 }
  - { address: 10.9.0.2, labels: { zone: b } }
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: shop }
spec:
  mtls: { mode: STRICT }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: api, namespace: shop }
spec:
  selector: { matchLabels: { app: api } }
  rules:
  - from: [{ source: { principals: [cluster.local/ns/shop/sa/default] } }]
    to: [{ operation: { methods: [GET] } }]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: { name: api, namespace: shop }
spec:
  workloadSelector: { labels: { app: api } }
  egress:
  - hosts: ["./*"]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: public, namespace: istio-system }
spec:
  selector: { istio: ingressgateway }
  servers:
  - port: { number: 80, name: http, protocol: HTTP }
    hosts: ["*/web.example.com"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: web-public, namespace: shop }
spec:
  hosts: [web.example.com]
  gateways: [istio-system/public]
  http:
  - route: [{ destination: { host: api.shop.svc.cluster.local } }]
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: ingress, namespace: istio-system }
spec:
  template:
    metadata: { labels: { istio: ingressgateway } }
    spec: { containers: [{ name: istio-proxy, args: [proxy, router] }] }
`;
