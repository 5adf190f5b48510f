import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAllDocuments } from 'yaml';
import { fastParseYaml } from '../../../src/mesh/fast-yaml.js';
import { LineIndex } from '../../../src/mesh/lines.js';

/** Inputs the fast reader must read exactly as `yaml` does. */
const SAME: Record<string, string> = {
  'block mappings, sequences and scalars': 'a: 1\nb: two\nc:\n  d: ~\n  e: [1, "x", \'y\'\'z\', {f: g, h: null}, []]\n  i:\n  - j\n  - k: l\n    m: true\n  - - nested\n    - 0x1F\nempty: {}\n',
  'core schema scalars': 'a: -1.5e3\nb: .inf\nc: -.Inf\nd: 0o17\ne: +12\nf: 1.\ng: FALSE\nh: Null\ni: 012\nj: 1_000\nk: yes\nl: "007"\nm: 0.5\n',
  'literal and folded block scalars': 'a: |\n  line1\n    indented\n\n  line3\nb: >-\n  folded\n  text\n\n  para\nc: |+\n  keep\n\nd: >\n\n  lead\n',
  'comments and URLs': 't: http://x:80/a # comment\nu: a#b\n# full line\nv: "q" # c\n',
  'quoted keys and escapes': '"a b": "esc\\n\\t\\u00e9\\x41"\n\'c\': \'it\'\'s\'\nd: "a: b"\n',
  'sequence at the same indent as its key': 'a:\n- 1\n- 2\nb: 3\n',
  'document markers': '---\nkind: A\n---\n# c\nkind: B\n...\n---\n',
  'CRLF line ends': 'a: 1\r\nb:\r\n  - x\r\n  - |\r\n    y\r\n',
  'nested compact sequences': '- - - a\n    - b\n  - c\n- d\n',
  'empty values': 'a:\nb:\n  c:\n- x\n'.replace('- x\n', ''),
};

/** Inputs outside the subset: the fast reader must give up (the caller then uses `yaml`). */
const GIVE_UP: Record<string, string> = {
  anchors: 'a: &x 1\nb: *x\n',
  tags: 'a: !!str 1\n',
  'multi-line plain scalar': 'a: one\n  two\n',
  'multi-line flow': 'a: [1,\n  2]\n',
  'duplicate key': 'a: 1\na: 2\n',
  'proto key': '__proto__: 1\n',
  'numeric key': '80: http\n',
  'mapping value on a value line': 'a: b: c\n',
  directive: '%YAML 1.2\n---\na: 1\n',
  'tab indentation': 'a:\n\tb: 1\n',
};

for (const [name, text] of Object.entries(SAME)) {
  test(`GIVEN ${name} WHEN read fast THEN the values equal yaml's`, () => {
    const docs = fastParseYaml(new LineIndex('x.yaml', text));
    assert.ok(docs, 'the fast reader gave up');
    const expected = parseAllDocuments(text);
    assert.equal(docs!.map((d) => d.value), (Array.isArray(expected) ? expected : []).map((d) => d.toJS()));
  });
}

for (const [name, text] of Object.entries(GIVE_UP)) {
  test(`GIVEN ${name} WHEN read fast THEN the reader hands over to yaml`, () => {
    assert.is(fastParseYaml(new LineIndex('x.yaml', text)), null);
  });
}

test.run();
