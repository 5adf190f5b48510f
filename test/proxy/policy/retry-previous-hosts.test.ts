/** RetryState's previous_hosts memory (Envoy's retry_host_predicates.previous_hosts) beyond the first host attempted. */
import { create } from '@bufbuild/protobuf';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RetryPolicySchema } from '../../../src/xds/gen/envoy/config/route/v3/route_components_pb.js';
import { RetryState, compileRetryPolicy } from '../../../src/proxy/policy/retry.js';
import { scripted } from './_helpers.js';

const withPredicate = () => compileRetryPolicy(create(RetryPolicySchema, {
  retryOn: '5xx', numRetries: 3,
  retryHostPredicate: [{ name: 'envoy.retry_host_predicates.previous_hosts' }], hostSelectionRetryMaxAttempts: 5n,
}))!;

test('GIVEN the previous_hosts predicate WHEN three hosts were attempted (one twice) THEN each of them is avoided and no other', () => {
  const rs = new RetryState(withPredicate(), scripted(0));
  assert.not.ok(rs.shouldSelectAnotherHost('10.0.0.1:80'), 'nothing attempted yet');
  rs.onHostAttempted('10.0.0.1:80');
  rs.onHostAttempted('10.0.0.2:80');
  rs.onHostAttempted('10.0.0.1:80');
  rs.onHostAttempted('10.0.0.3:80');
  for (const h of ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80']) assert.ok(rs.shouldSelectAnotherHost(h), h);
  assert.not.ok(rs.shouldSelectAnotherHost('10.0.0.4:80'));
  assert.not.ok(rs.shouldSelectAnotherHost(''));
});

test.run();
