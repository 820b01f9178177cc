#!/usr/bin/env node
// The `fenestra` command (package.json "bin"): runs dist/cli.js, building it first when it is
// missing or older than a file under src/ — so `npx fenestra` works straight after `npm ci`
// (dist/ is not in git) and never runs code older than the checkout. An installed image has
// dist/ and no src/: it runs dist/cli.js as it is. The build is `tsc -p tsconfig.build.json`
// (about 4 s), done once after each change of the sources.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dist = path.join(root, 'dist');
const entry = path.join(dist, 'cli.js');
const src = path.join(root, 'src');

/** The newest modification time under dir (0 when it does not exist). */
function newest(dir) {
  let t = 0;
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

function stale() {
  if (!fs.existsSync(entry)) return true;
  const sources = Math.max(
    newest(src),
    ...['tsconfig.json', 'tsconfig.build.json'].map((f) => fs.statSync(path.join(root, f), { throwIfNoEntry: false })?.mtimeMs ?? 0),
  );
  return sources > fs.statSync(entry).mtimeMs;
}

function build() {
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!fs.existsSync(tsc)) {
    process.stderr.write('fenestra: dist/ is missing or older than src/ and TypeScript is not installed: run npm ci (or npm run build)\n');
    return false;
  }
  process.stderr.write('fenestra: building dist/ from src/ (once after an install or a change of the sources)...\n');
  // Built beside dist/ and swapped in, so that a second launch at the same time never runs a half-written tree.
  const tmp = `${dist}.build-${process.pid}`;
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', tmp], { stdio: ['ignore', 'inherit', 'inherit'] });
  // tsc exits 2 when it reported type errors and still wrote the JavaScript: run that, as node would.
  if (r.status === 2 && fs.existsSync(path.join(tmp, 'cli.js'))) process.stderr.write('fenestra: type errors in src/ (above); running the build anyway\n');
  else if (r.status !== 0) {
    fs.rmSync(tmp, { recursive: true, force: true });
    process.stderr.write('fenestra: the build failed (above)\n');
    return false;
  }
  fs.rmSync(dist, { recursive: true, force: true });
  try {
    fs.renameSync(tmp, dist);
  } catch {
    // Another launch swapped its build in first: the same sources, use it.
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return true;
}

/**
 * One build at a time: launches that start together (tests, scripts) wait for the first one's
 * build instead of swapping dist/ under each other. A lock older than two minutes is a crashed build.
 */
async function buildOnce() {
  const lock = `${dist}.lock`;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? 0);
      if (age > 120_000) fs.rmSync(lock, { recursive: true, force: true });
      else await sleep(200);
    }
  }
  try {
    return !stale() || build();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

if (fs.existsSync(src) && stale() && !(await buildOnce())) process.exit(1);
await import(pathToFileURL(entry).href);
