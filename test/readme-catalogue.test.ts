import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { README, blockRange, catalogueBlock } from '../scripts/gen-readme-rules.js';

test('GIVEN the rule registry WHEN the README check catalogue is compared with `meshproof rules --format markdown` THEN it is current (run npm run gen:readme-rules)', () => {
  const text = readFileSync(README, 'utf8');
  const [start, end] = blockRange(text);
  assert.fixture(text.slice(start, end), catalogueBlock());
});

test('GIVEN a README without the marker WHEN the block is located THEN the error says which marker to add', () => {
  assert.throws(() => blockRange('# README\n\n| a |\n'), /marker <!-- generated: node bin\/meshproof\.js rules --format markdown --> is missing/);
});

test.run();
