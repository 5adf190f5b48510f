/**
 * The startup check on Node's internal llhttp binding (native-parser.ts): the real module passes;
 * a module without the parser, or with a different shape, fails with an error naming what is missing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HTTPParser, METHODS, nativeParserFrom } from '../../src/proxy/http/native-parser.js';

test('GIVEN this Node WHEN the proxy loads THEN the native parser and its method table are there', () => {
  assert.type(HTTPParser, 'function');
  assert.is(METHODS[1], 'GET');
  assert.is(METHODS.indexOf('CONNECT') >= 0, true);
});

test('GIVEN a _http_common without HTTPParser WHEN checked THEN the error names the module, the Node version and the member', () => {
  assert.throws(() => nativeParserFrom({ methods: [] }, 'v99.0.0'), (e: Error) => /Node v99\.0\.0's internal module _http_common lacks HTTPParser;/.test(e.message));
});

test('GIVEN a parser class missing callbacks and methods WHEN checked THEN every missing member is named', () => {
  class Fake { execute(): number { return 0; } }
  Object.assign(Fake, { REQUEST: 1, RESPONSE: 2, kOnHeaders: 1, kOnHeadersComplete: 2, kOnBody: 3, kOnMessageComplete: 4 });
  assert.throws(() => nativeParserFrom({ HTTPParser: Fake }, 'v99.0.0'), (e: Error) => e.message.includes('lacks HTTPParser.kOnMessageBegin, HTTPParser.kOnExecute, methods;'));
});

test('GIVEN a parser class without execute WHEN checked THEN refused', () => {
  class NoExec {}
  Object.assign(NoExec, { REQUEST: 1, RESPONSE: 2, kOnMessageBegin: 0, kOnHeaders: 1, kOnHeadersComplete: 2, kOnBody: 3, kOnMessageComplete: 4, kOnExecute: 5 });
  assert.throws(() => nativeParserFrom({ HTTPParser: NoExec, methods: [] }, 'v99.0.0'), (e: Error) => e.message.includes('lacks HTTPParser.prototype.execute'));
});

test.run();
