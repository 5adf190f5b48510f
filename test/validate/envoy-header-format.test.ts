/**
 * Envoy's parse of a header value to add (SubstitutionFormatParser after HeaderParser's legacy translations):
 * each refused value is paired with a close neighbour Envoy accepts, so every rule is shown to discriminate.
 * Errors are Envoy's own words.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { headerFormatError, parseHeaderFormat } from '../../src/validate/envoy-header-format.js';

const PAIRS: [refused: string, says: string, accepted: string][] = [
  ['100%', "Incorrect configuration: 100%. Couldn't find valid command at position 3", '100%%'],
  ['50% off', "Couldn't find valid command at position 2", '50%% off'],
  ['%START_TIME%%', "Couldn't find valid command at position 12", '%START_TIME%%%'],
  ['abc%123', "Couldn't find valid command at position 3", 'abc%%123'],
  ['%hostname%', "Couldn't find valid command at position 0", '%HOSTNAME%'],
  ['%REQ(x-id) x%', "Couldn't find valid command at position 0", '%REQ(x-id)% x'],
  ['%REQ(x-id)', "Couldn't find valid command at position 0", '%REQ(x-id)%'],
  ['é%', "Couldn't find valid command at position 2", 'é%%'],
  ['%FOO%', 'Not supported field in StreamInfo: FOO', '%HOSTNAME%'],
  ['%REQ%', 'REQ requires parameters', '%REQ(x-request-id)%'],
  ['%PROTOCOL(x)%', 'PROTOCOL does not take any parameters or length', '%PROTOCOL%'],
  ['%HOSTNAME:10%', 'HOSTNAME does not take any parameters or length', '%REQ(x-id):10%'],
  ['%START_TIME(%s):10%', 'START_TIME does not allow length to be specified.', '%START_TIME(%s)%'],
  ['%REQ(a?b?c)%', 'More than 1 alternative header specified in token: a?b?c', '%REQ(a?b)%'],
  ['%FILTER_STATE%', 'Invalid filter state configuration, key cannot be empty.', '%FILTER_STATE(k)%'],
  ['%FILTER_STATE(k:JSON)%', 'Invalid filter state serialize type, only support PLAIN/TYPED/FIELD.', '%FILTER_STATE(k:PLAIN)%'],
  ['%FILTER_STATE(k:FIELD)%', 'FIELD should be used with the field name.', '%FILTER_STATE(k:FIELD:f)%'],
  ['%PATH(XQ)%', "Invalid PATH option: 'XQ', only 'WQ'/'NQ' are allowed", '%PATH(NQ)%'],
  ['%PATH(WQ:ORIGINAL)%', "Invalid PATH option: 'ORIGINAL'", '%PATH(WQ:ORIG)%'],
  ['%REQ(x):99999999999999999999%', "Couldn't find valid command at position 0", '%REQ(x):18446744073709551615%'],
  // HeaderParser rewrites the legacy forms first: PER_REQUEST_STATE is FILTER_STATE, JSON metadata paths are colon paths.
  ['%PER_REQUEST_STATE()%', 'Not supported field in StreamInfo: PER_REQUEST_STATE', '%PER_REQUEST_STATE(k)%'],
  ['%UPSTREAM_METADATA()%', 'UPSTREAM_METADATA requires parameters', '%UPSTREAM_METADATA(["istio", "version"])%'],
];

for (const [refused, says, accepted] of PAIRS) {
  test(`GIVEN header value ${JSON.stringify(refused)} WHEN parsed as Envoy does THEN refused (${says}); ${JSON.stringify(accepted)} is accepted`, () => {
    const error = headerFormatError(refused);
    assert.ok(error?.includes(says), String(error));
    assert.is(headerFormatError(accepted), undefined);
  });
}

test('GIVEN values Istio\'s own TestValidateHTTPHeaderValue accepts WHEN parsed THEN Envoy accepts them too', () => {
  for (const v of ['', 'foo', '%HOSTNAME%', '100%%', 'prefix %HOSTNAME% suffix', '%DOWNSTREAM_PEER_CERT_V_END(%b %d %H:%M:%S %Y %Z)%', '%DYNAMIC_METADATA(com.test.my_filter)%']) {
    assert.is(headerFormatError(v), undefined, v);
  }
});

test('GIVEN a value with literals, escapes and commands WHEN parsed THEN its parts: %% made %, the shortest argument that closes, the length', () => {
  const parsed = parseHeaderFormat('a%%b %START_TIME(%s)%-%REQ(x-id):8%%%');
  assert.equal(parsed, { ok: true, parts: [
    { literal: 'a%b ' },
    { command: 'START_TIME', arg: '%s', maxLength: undefined },
    { literal: '-' },
    { command: 'REQ', arg: 'x-id', maxLength: 8 },
    { literal: '%' },
  ] });
});

test('GIVEN legacy metadata and per-request-state commands WHEN parsed THEN rewritten as Envoy rewrites them; an argument that is not a JSON array of strings is left as written', () => {
  assert.equal(parseHeaderFormat('%UPSTREAM_METADATA(["istio", "version"])%'), { ok: true, parts: [{ command: 'UPSTREAM_METADATA', arg: 'istio:version', maxLength: undefined }] });
  assert.equal(parseHeaderFormat('%PER_REQUEST_STATE(k)%'), { ok: true, parts: [{ command: 'FILTER_STATE', arg: 'k:PLAIN', maxLength: undefined }] });
  assert.equal(parseHeaderFormat('%DYNAMIC_METADATA([1])%'), { ok: true, parts: [{ command: 'DYNAMIC_METADATA', arg: '[1]', maxLength: undefined }] });
});

test.run();
