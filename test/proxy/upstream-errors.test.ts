/** Upstream failures before response headers → Envoy's flag, status and body; odd error shapes never throw. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ClusterStats } from '../../src/proxy/admin/stats.js';
import { classifyUpstreamError } from '../../src/proxy/http/upstream-errors.js';
import type { UpstreamHost } from '../../src/proxy/http/pipeline.js';

const host: UpstreamHost = { key: '127.0.0.1:1', address: '127.0.0.1', port: 1, weight: 1, hostname: '', locality: '', healthy: true, active: 0 };
const err = (code: unknown, message = 'x') => Object.assign(new Error(message), { code });

test('GIVEN connection refused, a parser error and a reset WHEN classified THEN UF 503, UPE 502, UC 503 with stats', () => {
  const stats = new ClusterStats();
  const uf = classifyUpstreamError(err('ECONNREFUSED', 'connect ECONNREFUSED'), host, stats);
  assert.equal([uf.flag, uf.status], ['UF', 503]);
  assert.match(uf.details, /^upstream connect error or disconnect\/reset before headers\. reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused/);
  const upe = classifyUpstreamError(err('HPE_INVALID_CONSTANT'), host, stats);
  assert.equal([upe.flag, upe.status], ['UPE', 502]);
  const uc = classifyUpstreamError(err('UND_ERR_SOCKET', 'other side closed'), host, stats);
  assert.equal([uc.flag, uc.status], ['UC', 503]);
  assert.equal([stats.upstream_cx_connect_fail, stats.upstream_cx_protocol_error, stats.upstream_rq_rx_reset], [1, 1, 1]);
});

test('GIVEN a numeric code (DOMException), no code, or a thrown non-Error WHEN classified THEN UC, never a crash', () => {
  const stats = new ClusterStats();
  assert.is(classifyUpstreamError(new DOMException('The operation timed out.', 'TimeoutError'), host, stats).flag, 'UC');
  assert.is(classifyUpstreamError(new Error('plain'), host, stats).flag, 'UC');
  assert.is(classifyUpstreamError('a string', host, stats).flag, 'UC');
  assert.is(classifyUpstreamError(undefined, host, stats).flag, 'UC');
});

test.run();
