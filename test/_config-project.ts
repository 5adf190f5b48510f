/**
 * A project whose meshproof.config.yaml carries cluster context, for the tests that every command
 * reads the mesh `meshproof check` reads: cluster domain `corp.example`, a MeshConfig with
 * `outboundTrafficPolicy: REGISTRY_ONLY` and `connectTimeout: 7s`, and a context folder holding the
 * `cart` Service (and its Deployment) that the input's VirtualService routes to. Without the config
 * the input fails the checks (IST0101: no host `cart`) and a translation has no cluster for it.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CONFIG_YAML = `clusterDomain: corp.example
meshConfig: platform/mesh-config.yaml
context: [platform/dist]
`;

export const MESH_CONFIG_YAML = `outboundTrafficPolicy: { mode: REGISTRY_ONLY }
connectTimeout: 7s
`;

/** The platform repository's part: the `cart` Service on 8080 and its Deployment. */
export function cartYaml(port = 8080): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: cart, namespace: shop }
spec:
  selector: { matchLabels: { app: cart } }
  template:
    metadata: { labels: { app: cart, version: v1 } }
    spec: { containers: [{ name: cart, image: nginx:1.27, ports: [{ containerPort: ${port} }] }] }
---
apiVersion: v1
kind: Service
metadata: { name: cart, namespace: shop }
spec: { selector: { app: cart }, ports: [{ name: http, port: ${port} }] }
`;
}

export const APP_YAML = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: istio-system }
spec: { mtls: { mode: STRICT } }
---
apiVersion: v1
kind: Namespace
metadata: { name: shop, labels: { istio-injection: enabled } }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: shop }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web, version: v1 } }
    spec: { containers: [{ name: web, image: nginx:1.27, ports: [{ containerPort: 80 }] }] }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec: { selector: { app: web }, ports: [{ name: http, port: 80 }] }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: cart, namespace: shop }
spec:
  hosts: [cart]
  http: [{ timeout: 3s, route: [{ destination: { host: cart, port: { number: 8080 } } }] }]
`;

/** Writes the project (`meshproof.config.yaml`, `dist/app.yaml`, `platform/`) into a new temp folder and returns it. */
export function configProject(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `meshproof-${prefix}-`));
  mkdirSync(join(dir, 'dist'));
  mkdirSync(join(dir, 'platform', 'dist'), { recursive: true });
  writeFileSync(join(dir, 'meshproof.config.yaml'), CONFIG_YAML);
  writeFileSync(join(dir, 'platform', 'mesh-config.yaml'), MESH_CONFIG_YAML);
  writeFileSync(join(dir, 'platform', 'dist', 'cart.yaml'), cartYaml());
  writeFileSync(join(dir, 'dist', 'app.yaml'), APP_YAML);
  return dir;
}
