import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseTargets, TargetsError } from '../../src/verify/external/targets.js';

const CALLER = { workload: 'bookinfo/productpage-v1', address: 'proxy.meshproof-system.svc' };
const WORKLOAD = { workload: 'bookinfo/reviews-v1', address: '10.0.0.7' };

test('GIVEN a targets file with a misspelt or unknown key at any level WHEN parsed THEN it is refused naming the key, the nearest known one and the keys allowed (never read as an empty list)', () => {
  const cases: [unknown, RegExp][] = [
    [{ version: 1, callers: [CALLER], workloadz: [WORKLOAD] }, /^t\.json: workloadz: is not a known key \(did you mean "workloads"\?\); expected version, callers, workloads, ca, waitSeconds$/],
    [{ version: 1, callers: [{ ...CALLER, adress: 'x' }] }, /^t\.json: callers\[0\]\.adress: is not a known key \(did you mean "address"\?\)/],
    [{ version: 1, workloads: [WORKLOAD, { ...WORKLOAD, port: 9080 }] }, /^t\.json: workloads\[1\]\.port: is not a known key; expected workload, address$/],
    [{ version: 1, workloads: [WORKLOAD], ca: { cert: 'a', key: 'b', kye: 'c' } }, /^t\.json: ca\.kye: is not a known key \(did you mean "key"\?\)/],
  ];
  for (const [doc, re] of cases) assert.throws(() => parseTargets(doc, 't.json'), (e: Error) => e instanceof TargetsError && re.test(e.message), JSON.stringify(doc));
  // Every known key is still read.
  const ok = parseTargets({ version: 1, callers: [{ ...CALLER, as: 'bookinfo/bookinfo-productpage', admin: 'proxy:15000' }], workloads: [WORKLOAD], ca: { cert: 'a', key: 'b' }, waitSeconds: 5 }, '/c/t.json');
  assert.equal([ok.callers.length, ok.workloads.length, ok.waitSeconds, ok.ca?.cert], [1, 1, 5, '/c/a']);
});

test.run();
