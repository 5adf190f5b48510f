import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { regexMatchesEvery } from '../../src/mesh/catch-all-regex.js';

test('GIVEN regexes every value matches, however written WHEN judged THEN catch-alls', () => {
  for (const re of ['.*', '^.*$', '(.*)', '(?:.*)', '^(.*)$', '(?s).*', '.*?', '.{0,}', '[\\s\\S]*', '[^\\n]*', '\\A.*\\z', '(?P<all>.*)', '((.*))', '(.)*']) {
    assert.ok(regexMatchesEvery(re, 'any'), re);
    assert.ok(regexMatchesEvery(re, 'nonEmpty'), re);
    assert.ok(regexMatchesEvery(re, 'path'), re);
  }
});

test('GIVEN one-or-more regexes WHEN judged THEN catch-alls only where the value is never empty', () => {
  for (const re of ['.+', '^.+$', '(.+)', '.{1,}', '[\\S\\s]+']) {
    assert.not.ok(regexMatchesEvery(re, 'any'), `${re}: a present header may be empty`);
    assert.ok(regexMatchesEvery(re, 'nonEmpty'), re);
    assert.ok(regexMatchesEvery(re, 'path'), re);
  }
});

test('GIVEN path regexes starting with "/" WHEN judged THEN catch-alls of paths only', () => {
  for (const re of ['/.*', '^/.*', '^/.*$', '/(.*)']) {
    assert.ok(regexMatchesEvery(re, 'path'), re);
    assert.not.ok(regexMatchesEvery(re, 'nonEmpty'), re);
  }
  assert.not.ok(regexMatchesEvery('/.+', 'path'), '"/" itself does not match');
});

test('GIVEN regexes that miss some values WHEN judged THEN not catch-alls', () => {
  for (const re of ['https?', '/api/.*', '.*|x', '(.*)|(x)', '.', 'a*', '\\.*', '[.]*', '.*\\$', '^.*$x', '', '^$', '(.*']) {
    assert.not.ok(regexMatchesEvery(re, 'nonEmpty'), re);
    assert.not.ok(regexMatchesEvery(re, 'path'), re);
  }
});

test.run();
