/**
 * The check suite on the output of per-port releases (a CanaryRelease for 8080 and a HeaderSplit
 * for 9090 of one service, in one RouteTable): no routing finding, while the same VirtualService
 * without its port matches, or with a port match that names the wrong port, is reported.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ALL_RULES } from '../../../src/checks/rules/index.js';
import { perPortApp } from '../../_per-port-app.js';
import { findingsOf } from './_harness.js';

/** `<rule id>: <message>` of every finding but the app-wide mesh-strict-mtls (the fixture has no mesh-wide PeerAuthentication). */
async function findings(yaml: string): Promise<string[]> {
  return (await findingsOf(yaml, ALL_RULES)).filter((f) => f.ruleId !== 'security/mesh-strict-mtls').map((f) => `${f.ruleId}: ${f.message}`);
}

/** The app's objects with `edit` applied to the VirtualService's http routes. */
function withRoutes(edit: (http: Record<string, any>[]) => void): string {
  const { objects, yaml } = perPortApp();
  const copy = structuredClone(objects);
  edit(copy.find((o) => o.kind === 'VirtualService')!.spec.http);
  return yaml(copy);
}

test('GIVEN a CanaryRelease for port 8080 and a HeaderSplit for 9090 of one service in one RouteTable WHEN every rule runs on the synthesized output THEN nothing is reported', async () => {
  assert.equal(await findings(perPortApp().yaml()), []);
});

test('GIVEN the same VirtualService without its port matches (the rendering before per-port routes) WHEN every rule runs THEN the default of 9090 is reported unreachable', async () => {
  const got = await findings(withRoutes((http) => {
    for (const r of http) {
      r.match = (r.match ?? []).map(({ port: _p, ...rest }: Record<string, unknown>) => rest).filter((m: object) => Object.keys(m).length > 0);
      if (r.match.length === 0) delete r.match;
    }
  }));
  assert.equal(got, ['routing/unreachable-rule: Rule spec.http[3] ("grpc-default") is never used: only the last rule can have no matches, '
    + 'and an earlier rule has none; move it above them or remove it']);
});

test('GIVEN the 9090 default matching port 8080 instead WHEN every rule runs THEN port 9090 is reported without a default route and the route as a repeat of the 8080 split', async () => {
  const got = await findings(withRoutes((http) => { http.find((r) => r.name === 'grpc-default')!.match = [{ port: 8080 }]; }));
  assert.equal(got.map((f) => f.split(':')[0]), ['routing/default-route-required', 'routing/unreachable-rule', 'routing/ineffective-match'], got.join('\n'));
  assert.match(got[0]!, 'get 404 (NR) on port 9090 (a port-only match catches 8080)');
});

test.run();
