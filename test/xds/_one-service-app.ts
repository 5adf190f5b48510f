/**
 * One injected Deployment behind one Service (`shop/web`), and a DestinationRule for it whose
 * outlier detection `maxEjectionPercent` is written as given: `.inf` is YAML infinity, which the
 * API server would refuse and no Envoy config can carry (what `--no-check` lets through).
 */
export const APP = `apiVersion: v1
kind: Namespace
metadata: { name: shop, labels: { istio-injection: enabled } }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: shop }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: web, image: nginx:1.27 }] }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec: { selector: { app: web }, ports: [{ name: http, port: 80 }] }
`;

/** The `shop/web` DestinationRule document (with its leading `---`), `maxEjectionPercent` as written. */
export const rule = (maxEjectionPercent: string): string => `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: web, namespace: shop }
spec: { host: web, trafficPolicy: { outlierDetection: { maxEjectionPercent: ${maxEjectionPercent} } } }
`;
