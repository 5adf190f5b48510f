import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runRules } from '../../src/checks/engine.js';
import { MeshGraph } from '../../src/mesh/graph.js';
import { loadInputs } from '../../src/mesh/load.js';
import { ALL_RULES } from '../../src/checks/rules/index.js';

/** 2,500 services, each with a Service, a Deployment, a VirtualService and a DestinationRule: 10,000 objects. */
function mesh(n: number): string {
  const docs: string[] = [];
  for (let i = 0; i < n; i++) {
    const ns = `ns-${i % 40}`;
    docs.push(
      `apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-${i}\n  namespace: ${ns}\nspec:\n  selector:\n    app: svc-${i}\n  ports:\n  - name: http\n    port: 8080\n`,
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc-${i}-v1\n  namespace: ${ns}\nspec:\n  selector:\n    matchLabels: {app: svc-${i}, version: v1}\n  template:\n    metadata:\n      labels: {app: svc-${i}, version: v1}\n    spec:\n      containers:\n      - name: app\n        image: "app:1"\n        ports:\n        - containerPort: 8080\n`,
      `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: svc-${i}\n  namespace: ${ns}\nspec:\n  hosts:\n  - svc-${i}\n  http:\n  - match:\n    - headers:\n        x-canary:\n          exact: "true"\n    route:\n    - destination:\n        host: svc-${i}\n        subset: v2\n  - route:\n    - destination:\n        host: svc-${i}\n        subset: v1\n        port:\n          number: 8080\n      weight: 90\n    - destination:\n        host: svc-${(i + 1) % n}.ns-${(i + 1) % 40}.svc.cluster.local\n      weight: 10\n`,
      `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: svc-${i}\n  namespace: ${ns}\nspec:\n  host: svc-${i}\n  subsets:\n  - name: v1\n    labels:\n      version: v1\n  - name: v2\n    labels:\n      version: v2\n`,
    );
  }
  return docs.join('---\n');
}

// Speed is measured by `npm run bench:check` (ratio to a bare parse in the same run), not here: a timed
// assertion fails on a loaded machine and proves nothing about the code.
test('GIVEN a 10,000-object mesh WHEN loaded, indexed and checked with every rule THEN every object is read and every index answers', async () => {
  const text = mesh(2500);
  const run = async (fn: () => unknown) => {
    await fn();
  };
  let objects = 0;
  await run(async () => {
    const { files, problems } = await loadInputs(['-'], { stdin: text });
    assert.equal(problems, []);
    const graph = MeshGraph.from(files);
    objects = graph.objects.length;
    runRules(graph, ALL_RULES);
    for (const w of graph.workloads.all) {
      graph.servicesSelecting(w);
      graph.sidecarsFor(w);
    }
    for (const vs of graph.ofKind('VirtualService')) graph.subsetsOf(vs.name, vs.namespace);
  });
  assert.is(objects, 10_000);
});

test.run();
