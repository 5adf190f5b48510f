import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ruleCatalogue } from '../../src/checks/check.js';
import { ConfigError, parseConfig } from '../../src/checks/config/index.js';
import { main } from '../../src/cli/main.js';
import { captureIO, FIXTURES } from './_io.js';

for (const [glob, why] of [['[', /missing closing: "\]"/], ['gen/{a,b', /missing closing: "\}"/], ['[z-a].yaml', /can never match/]] as const) {
  test(`GIVEN --exclude ${JSON.stringify(glob)} WHEN check runs THEN a usage error names the glob and why, exit 2`, async () => {
    const c = captureIO(FIXTURES);
    assert.is(await main(['check', 'clean', '--exclude', '**/*.json', '--exclude', glob], c.io), 2);
    assert.match(c.stderr(), new RegExp(`^meshproof: --exclude ${JSON.stringify(glob).replace(/[[\]{}]/g, '\\$&')} is not a valid glob: `));
    assert.match(c.stderr(), why);
    assert.is(c.stdout(), '');
  });
}

test('GIVEN an invalid exclude glob in the config WHEN it is parsed THEN the error points at it', () => {
  let message = '';
  try {
    parseConfig('exclude:\n  - "gen/**"\n  - "["\n', 'meshproof.config.yaml', ruleCatalogue());
  } catch (e) {
    assert.instance(e, ConfigError);
    message = (e as Error).message;
  }
  assert.match(message, /^meshproof\.config\.yaml:3:5: exclude\[1\]: "\[" is not a valid glob: missing closing: "\]"/);
});

test('GIVEN valid globs WHEN check runs THEN they are accepted', async () => {
  const c = captureIO(FIXTURES);
  assert.is(await main(['check', 'clean', '--fail-on', 'none', '--exclude', '**/*.json', '--exclude', '[abc].yaml'], c.io), 0, c.stderr());
});

test.run();
