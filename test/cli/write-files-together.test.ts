/**
 * `writeFilesTogether` (src/cli/io.ts), the writer of multi-file outputs (`runtime synth --out`): a
 * write that fails part-way leaves the folder as it was (old files whole, no temporary files, no
 * folder it made), a target that is a folder is refused before anything is written, and a Ctrl-C
 * takes effect only once the set is written.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFilesTogether } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { ROOT } from '../_project.js';
import { captureIO } from './_io.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-write-together-'));
const fail = (why: string) => new Error(`out: ${why}`);
const FILES = [['a.yaml', 'new a'], ['b.yaml', 'new b'], ['c.json', 'new c']] as const;

/** A writer that fails (ENOSPC) on the `n`th file it is asked for, 1-based. */
function failingOn(n: number) {
  let calls = 0;
  return (p: string, content: string) => {
    if (++calls === n) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    fs.writeFileSync(p, content, { flag: 'wx' });
  };
}

test('GIVEN a folder holding the old set WHEN the third write fails THEN the old files are whole and no temporary file stays', () => {
  const dir = path.join(tmp, 'old');
  fs.mkdirSync(dir);
  for (const [name] of FILES) fs.writeFileSync(path.join(dir, name), `old ${name}`);
  assert.throws(() => writeFilesTogether(dir, FILES, fail, failingOn(3)), (e: Error) => /^out: cannot write .*c\.json \(ENOSPC\); nothing was changed in /.test(e.message));
  assert.equal(fs.readdirSync(dir).sort(), ['a.yaml', 'b.yaml', 'c.json']);
  for (const [name] of FILES) assert.is(fs.readFileSync(path.join(dir, name), 'utf8'), `old ${name}`);
});

test('GIVEN missing folders WHEN the second write fails THEN the folders it made are removed, and the parent that existed stays', () => {
  const dir = path.join(tmp, 'made', 'deep', 'out');
  assert.throws(() => writeFilesTogether(dir, FILES, fail, failingOn(2)), /b\.yaml \(ENOSPC\)/);
  assert.not.ok(fs.existsSync(path.join(tmp, 'made')));
  assert.ok(fs.existsSync(tmp));
});

test('GIVEN every write succeeds THEN all files hold the new content, and nothing else is left', () => {
  const dir = path.join(tmp, 'fine', 'out');
  writeFilesTogether(dir, FILES, fail);
  assert.equal(fs.readdirSync(dir).sort(), ['a.yaml', 'b.yaml', 'c.json']);
  for (const [name, content] of FILES) assert.is(fs.readFileSync(path.join(dir, name), 'utf8'), content);
  // Again over the first set: replaced, not refused (`wx` applies to the temporary files only).
  writeFilesTogether(dir, FILES.map(([n, c]) => [n, `${c}!`] as const), fail);
  assert.is(fs.readFileSync(path.join(dir, 'b.yaml'), 'utf8'), 'new b!');
});

test('GIVEN a folder where the second file goes WHEN written THEN it is refused before anything is written, naming that path', () => {
  const dir = path.join(tmp, 'clash');
  fs.mkdirSync(path.join(dir, 'b.yaml'), { recursive: true });
  assert.throws(() => writeFilesTogether(dir, FILES, fail), (e: Error) => e.message.includes(`${path.join(dir, 'b.yaml')} is a folder`));
  assert.equal(fs.readdirSync(dir), ['b.yaml']);
});

test('GIVEN a target made a folder after the writes WHEN its rename fails THEN the error names what was already replaced, and no temporary file stays', () => {
  const dir = path.join(tmp, 'late-clash');
  fs.mkdirSync(dir);
  let calls = 0;
  const writer = (p: string, content: string) => {
    fs.writeFileSync(p, content, { flag: 'wx' });
    // After the last temporary file: b.yaml turns into a folder (another process, say).
    if (++calls === FILES.length) fs.mkdirSync(path.join(dir, 'b.yaml', 'inside'), { recursive: true });
  };
  assert.throws(() => writeFilesTogether(dir, FILES, fail, writer), (e: Error) => /^out: cannot replace .*b\.yaml \(E[A-Z]+\); a\.yaml was already replaced in /.test(e.message));
  assert.equal(fs.readdirSync(dir).sort(), ['a.yaml', 'b.yaml']);
  assert.is(fs.readFileSync(path.join(dir, 'a.yaml'), 'utf8'), 'new a');
});

test('GIVEN runtime synth --out whose runtime.k8s.yaml is a folder WHEN run THEN a usage error names it and no file is written', async () => {
  const out = path.join(tmp, 'runtime-out');
  fs.mkdirSync(path.join(out, 'runtime.k8s.yaml'), { recursive: true });
  const c = captureIO(ROOT);
  assert.is(await main(['runtime', 'synth', 'dist', '--out', out, '--image', 'meshproof:test'], c.io), 2);
  assert.match(c.stderr(), /runtime synth --out .*runtime\.k8s\.yaml is a folder, so the file cannot be written there; remove or rename that folder/);
  assert.equal(fs.readdirSync(out), ['runtime.k8s.yaml']);
});

test('GIVEN runtime synth --out naming a symlink to a folder that does not exist WHEN run THEN a usage error before the synth names the link and its target, instead of mkdir\'s EEXIST', async () => {
  const link = path.join(tmp, 'dangling-out');
  fs.symlinkSync(path.join(tmp, 'nowhere'), link);
  const c = captureIO(ROOT);
  assert.is(await main(['runtime', 'synth', 'dist', '--out', link, '--image', 'meshproof:test'], c.io), 2);
  assert.match(c.stderr(), `runtime synth --out ${link}: ${link} is a symlink to ${path.join(tmp, 'nowhere')}, which does not exist, so no folder can be made there; make ${path.join(tmp, 'nowhere')} or remove the link`);
  assert.not.match(c.stderr(), /EEXIST/);
  assert.not.ok(fs.existsSync(path.join(tmp, 'nowhere')));
});

test('GIVEN Ctrl-C (SIGINT) during the second write WHEN the process gets it THEN all files are written and renamed first, no temporary file stays, and the process then ends by SIGINT', () => {
  const dir = path.join(tmp, 'interrupted');
  fs.mkdirSync(dir);
  for (const [name] of FILES) fs.writeFileSync(path.join(dir, name), `old ${name}`);
  const script = [
    `import { writeFileSync } from 'node:fs';`,
    `import { writeFilesTogether } from ${JSON.stringify(pathToFileURL(path.join(ROOT, 'src/cli/io.ts')).href)};`,
    'let n = 0;',
    `writeFilesTogether(${JSON.stringify(dir)}, ${JSON.stringify(FILES)}, (why) => new Error(why), (p, c) => { writeFileSync(p, c, { flag: 'wx' }); if (++n === 2) process.kill(process.pid, 'SIGINT'); });`,
    "setTimeout(() => console.log('not ended by the signal'), 2000);",
  ].join('\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  assert.is(r.signal, 'SIGINT', `${r.status} ${r.stdout} ${r.stderr}`);
  assert.equal(fs.readdirSync(dir).sort(), ['a.yaml', 'b.yaml', 'c.json']);
  for (const [name, content] of FILES) assert.is(fs.readFileSync(path.join(dir, name), 'utf8'), content);
});

test('GIVEN a part of the process that handles SIGINT itself (verify\'s cleanup) WHEN Ctrl-C comes after a write THEN that handler gets it and the process is not ended under it', () => {
  const script = [
    `import { writeFileAtomic } from ${JSON.stringify(pathToFileURL(path.join(ROOT, 'src/cli/io.ts')).href)};`,
    "process.once('SIGINT', () => setTimeout(() => { console.log('cleaned up'); process.exit(7); }, 100));",
    `writeFileAtomic(${JSON.stringify(path.join(tmp, 'handled', 'report.txt'))}, 'report');`,
    "process.kill(process.pid, 'SIGINT');",
    'setTimeout(() => {}, 2000);',
  ].join('\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  assert.is(r.signal, null, r.stderr);
  assert.is(r.status, 7, r.stderr);
  assert.is(r.stdout, 'cleaned up\n');
});

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
test.run();
