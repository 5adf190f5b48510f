import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cdk8sSynth, copyProject, listFiles } from './_project.js';

test('GIVEN an app with a route to a host that does not exist WHEN cdk8s synth runs THEN the meshproof plugin fails it with the rule, construct path and TS line', () => {
  const work = copyProject();
  try {
    const main = path.join(work, 'apps/main.ts');
    const injected = fs.readFileSync(main, 'utf8').replace('app.synth();', [
      "import { ApiObject } from 'cdk8s';",
      "new ApiObject(app.node.findChild('customers') as never, 'typo-route', {",
      "  apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'typo', namespace: 'customers' },",
      "  spec: { hosts: ['typo'], http: [{ route: [{ destination: { host: 'custmers' } }] }] },",
      "});",
      'app.synth();',
    ].join('\n'));
    fs.writeFileSync(main, injected);
    const run = cdk8sSynth(work);
    assert.is.not(run.status, 0, `synth should fail:\n${run.output}`);
    assert.match(run.output, /references\/destination-host-exists \(IST0101\)/);
    assert.match(run.output, /Construct Path: customers\/typo-route/);
    assert.match(run.output, /dist\/customers\.k8s\.yaml:\d+:\d+ \(apps\/main\.ts:\d+\) Referenced destination host not found: "custmers"/);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN the apps as committed WHEN cdk8s synth runs THEN validation succeeds and dist/ holds only manifests', () => {
  const work = copyProject();
  try {
    const run = cdk8sSynth(work);
    assert.is(run.status, 0, run.output);
    assert.match(run.output, /Validations ended succesfully/);
    assert.ok(listFiles(path.join(work, 'dist')).every((f) => f.endsWith('.k8s.yaml')));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test.run();
