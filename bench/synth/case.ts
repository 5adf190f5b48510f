/**
 * One bench/synth case, run in its own process by run.ts:
 *   node --import tsx bench/synth/case.ts <meshproof|baseline> <services>
 * Prints one JSON line: { ms, objects, maxRssMiB }. Time covers construction and synthesis to YAML.
 */
import { ApiObject, App, Chart, YamlOutputType } from 'cdk8s';
import { MeshService } from '../../src/constructs/mesh-service.js';
import { RouteTable } from '../../src/constructs/route-table.js';
import { maxRssMiB } from '../lib/measure.js';

const [variant, countArg] = process.argv.slice(2);
const services = Number(countArg);
const NAMESPACES = 10;

function meshproof(chart: Chart, i: number): void {
  const svc = new MeshService(chart, `svc-${i}`, {
    name: `svc-${i}`,
    namespace: `ns-${i % NAMESPACES}`,
    ports: [{ port: 8080, protocol: 'http' }],
    versions: [{ name: 'v1', image: 'registry.example/app:1' }, { name: 'v2', image: 'registry.example/app:2' }],
    trafficPolicy: { outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s' } },
  });
  new RouteTable(chart, `routes-${i}`, { hosts: [svc] }).addRoute({
    route: [{ destination: svc, subset: 'v1', weight: 90 }, { destination: svc, subset: 'v2', weight: 10 }],
    timeout: '5s',
    retries: { attempts: 2, perTryTimeout: '2s' },
  });
}

/** The same six objects per service (ServiceAccount, two Deployments, Service, DestinationRule, VirtualService), written as plain ApiObjects. */
function baseline(chart: Chart, i: number): void {
  const name = `svc-${i}`;
  const namespace = `ns-${i % NAMESPACES}`;
  const host = `${name}.${namespace}.svc.cluster.local`;
  new ApiObject(chart, `sa-${i}`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace }, automountServiceAccountToken: false } as never);
  for (const v of ['v1', 'v2']) {
    const labels = { app: name, version: v };
    new ApiObject(chart, `deploy-${i}-${v}`, {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `${name}-${v}`, namespace, labels },
      spec: {
        replicas: 1, selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name, automountServiceAccountToken: false,
            securityContext: { fsGroupChangePolicy: 'Always', runAsNonRoot: true },
            containers: [{
              name, image: `registry.example/app:${v.slice(1)}`, imagePullPolicy: 'Always', ports: [{ containerPort: 8080 }],
              resources: { limits: { cpu: '1500m', memory: '2048Mi' }, requests: { cpu: '1000m', memory: '512Mi' } },
              securityContext: { allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true },
            }],
          },
        },
      },
    } as never);
  }
  new ApiObject(chart, `svc-${i}`, {
    apiVersion: 'v1', kind: 'Service', metadata: { name, namespace },
    spec: { ports: [{ name: 'http', port: 8080, targetPort: 8080 }], selector: { app: name }, type: 'ClusterIP' },
  } as never);
  new ApiObject(chart, `dr-${i}`, {
    apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name, namespace },
    spec: {
      host,
      trafficPolicy: { outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s' } },
      subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }],
    },
  } as never);
  new ApiObject(chart, `vs-${i}`, {
    apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name, namespace },
    spec: {
      hosts: [host],
      http: [{
        route: [{ destination: { host, subset: 'v1' }, weight: 90 }, { destination: { host, subset: 'v2' }, weight: 10 }],
        timeout: '5s', retries: { attempts: 2, perTryTimeout: '2s' },
      }],
    },
  } as never);
}

if (!(variant === 'meshproof' || variant === 'baseline') || !(services > 0)) {
  console.error('usage: case.ts <meshproof|baseline> <services>');
  process.exit(2);
}
const build = variant === 'meshproof' ? meshproof : baseline;
const start = performance.now();
const app = new App({ yamlOutputType: YamlOutputType.FILE_PER_CHART, outdir: '/dev/null' });
const chart = new Chart(app, 'mesh');
for (let i = 0; i < services; i++) build(chart, i);
const yaml = app.synthYaml();
const ms = performance.now() - start;
const objects = (yaml.match(/^kind: /gm) ?? []).length;
console.log(JSON.stringify({ ms: Math.round(ms), objects, maxRssMiB: maxRssMiB() }));
