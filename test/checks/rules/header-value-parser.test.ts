/**
 * validation/header-value: httpHeaderValueError follows Istio's ValidateHTTPHeaderValue (pkg/config/validation/validation.go,
 * header_value_validator.go): the inputs of Istio's own TestValidateHTTPHeaderValue, then the parser's other refusals.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { httpHeaderValueError } from '../../../src/checks/rules/validation/header-value.js';

const CASES: [string, string | null][] = [
  // Istio's TestValidateHTTPHeaderValue.
  ['foo', null],
  ['%HOSTNAME%', null],
  ['100%%', null],
  ['prefix %HOSTNAME% suffix', null],
  ['%DOWNSTREAM_PEER_CERT_V_END(%b %d %H:%M:%S %Y %Z)%', null],
  ['%DYNAMIC_METADATA(com.test.my_filter)%', null],
  ['%START_TIME%%', 'Un-escaped %'],
  ['abc%123', "Un-terminated variable expression 'abc%123'"],
  // The JSON array arguments and the other refusals.
  ['', null],
  ['a\tb', null],
  ['%UPSTREAM_METADATA(["istio", "version"])%', null],
  ['%UPSTREAM_METADATA( [ "a" , "b" ] )%', null],
  ['%UPSTREAM_METADATA(["istio" "version"])%', "Expecting ',', ']', or whitespace"],
  ['%UPSTREAM_METADATA([istio])%', "Expecting '\"'"],
  ['%UPSTREAM_METADATA(["a"] x)%', "Expecting ')' or whitespace"],
  ['%REQ(x-id) x%', "Expecting '%' or whitespace after"],
  ['%REQ(x\\', 'Un-terminated backslash in JSON string'],
  ['%REQ(x-id)', 'Un-terminated variable expression'],
  ['a\nb', 'is invalid (a control character)'],
  ['a\u007fb', 'is invalid (a control character)'],
];
for (const [value, says] of CASES) {
  test(`GIVEN header value ${JSON.stringify(value)} WHEN validated THEN ${says ? `refused: ${says}` : 'accepted'}`, () => {
    const error = httpHeaderValueError(value);
    if (says === null) assert.is(error, undefined);
    else assert.ok(error?.includes(says), String(error));
  });
}

test.run();
