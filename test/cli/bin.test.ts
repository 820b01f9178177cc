// `npx fenestra` right after `npm ci`: package.json's bin is a file in git (not dist/, which only
// a build makes), and running it with node builds what it needs and answers.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { BIN, spawnNode } from './run-cli.js';

// The build is tsc over the whole of src/: minutes on a busy machine, over tap's default timeout.
t.setTimeout(360_000);

const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string; bin: Record<string, string>; dependencies: Record<string, string> };

t.test('the bin target is a tracked file, not a build output', async (t) => {
  const target = pkg.bin.fenestra;
  t.equal(path.resolve(target), BIN);
  t.ok(fs.existsSync(target), `${target} exists without a build`);
  t.notMatch(target, /^dist\//, 'not under dist/ (created only by npm run build)');
  t.match(fs.readFileSync(target, 'utf8'), /^#!\/usr\/bin\/env node\n/, 'runs with node as an executable');
  t.ok(fs.statSync(target).mode & 0o100, 'executable');
  t.ok(pkg.dependencies.yaml, 'yaml, which apply reads files with, is installed by npm ci --omit=dev too');
});

t.test('node <bin> --version works, building dist/ when it is missing or stale', async (t) => {
  const r = await spawnNode(BIN, ['--version'], { timeoutMs: 240_000 });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, `fenestra ${pkg.version}\n`);
  t.ok(fs.existsSync('dist/cli.js'), 'dist/cli.js is there after it');
  t.notOk(fs.existsSync('dist.lock'), 'the build lock is released');
  // Up to date now: the next run starts without building.
  const again = await spawnNode(BIN, ['--version'], { timeoutMs: 240_000 });
  t.equal(again.stdout, `fenestra ${pkg.version}\n`);
});
