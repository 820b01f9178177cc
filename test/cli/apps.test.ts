// `fenestra apps` against a real server: a package uploaded from a file (streamed), listed and
// shown, a second version made live by its version number, deployed to all, a vendor-hosted
// package added by URL and SHA-256, and refusals reported with the server's message (exit 1) or
// as usage errors (exit 2).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import t from 'tap';
import { startFakeVendor } from '../helpers/fake-vendor.js';
import { buildMsi, noWixl } from '../helpers/packages.js';
import { startTestServer } from '../helpers/server.js';
import { runCliHere } from './run-cli.js';

if (noWixl) {
  t.plan(0, noWixl);
  process.exit(0);
}

const vendor = await startFakeVendor();
t.teardown(() => vendor.close());
const LIMIT = 400_000;
const s = await startTestServer({ ...vendor.env, FENESTRA_CONTENT_MAX_BYTES: String(LIMIT) });
t.teardown(() => s.close());
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-cli-apps-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const caFile = path.join(dir, 'ca.pem');
fs.writeFileSync(caFile, s.caPem);
const conn = ['--url', `https://127.0.0.1:${s.server.port}`, '--token', s.adminToken, '--ca', caFile];
const cli = (args: string[]) => runCliHere([...args, ...conn]);

const upgradeCode = `{${crypto.randomUUID().toUpperCase()}}`;
const v1 = await buildMsi(dir, { name: 'Contoso Notes', version: '1.0.0', manufacturer: 'Contoso Ltd', upgradeCode });
const v2 = await buildMsi(dir, { name: 'Contoso Notes', version: '2.0.0', manufacturer: 'Contoso Ltd', upgradeCode });
const other = await buildMsi(dir, { name: 'Contoso Clip', version: '1.0.0', manufacturer: 'Contoso Ltd' });

t.test('upload, list, show, live, assign', async (t) => {
  const up = await cli(['apps', 'upload', v1.file, '--json']);
  t.equal(up.code, 0, up.stderr);
  const added = JSON.parse(up.stdout);
  t.match(added, { app: { name: 'Contoso Notes', kind: 'msi' }, version: { version: '1.0.0', sha256: v1.sha256, fileName: path.basename(v1.file) } });
  const again = await cli(['apps', 'upload', v1.file]);
  t.match(again.stdout, /^already in the catalog: Contoso Notes 1\.0\.0/, 'the same file again');
  const up2 = await cli(['apps', 'upload', v2.file, '--app', 'Contoso Notes']);
  t.equal(up2.code, 0, up2.stderr);
  t.match(up2.stdout, /^added Contoso Notes 2\.0\.0 \(app [0-9a-f-]+, version [0-9a-f-]+\)\n$/, 'a second version, not live');
  const wrong = await cli(['apps', 'upload', other.file, '--app', added.app.id]);
  t.equal(wrong.code, 1, 'another product as a version of this app: refused');
  t.match(wrong.stderr, /409 conflict: .*not a version of "Contoso Notes"/);
  const list = await cli(['apps', 'list']);
  t.equal(list.code, 0, list.stderr);
  t.match(list.stdout, /^ID\s+NAME\s+KIND\s+PUBLISHER\s+LIVE\s+VERSIONS\n/);
  t.match(list.stdout, new RegExp(`${added.app.id}\\s+Contoso Notes\\s+msi\\s+Contoso Ltd\\s+1\\.0\\.0\\s+2`));
  const live = await cli(['apps', 'live', 'Contoso Notes', '2.0.0']);
  t.equal(live.code, 0, live.stderr);
  t.equal(live.stdout, 'Contoso Notes: version 2.0.0 is live\n');
  const show = await cli(['apps', 'show', added.app.id]);
  t.match(show.stdout, /2\.0\.0 \(live\)/, 'show marks the live version');
  t.match(show.stdout, `identity: ${upgradeCode}`);
  const assign = await cli(['apps', 'assign', 'Contoso Notes', '--target', 'all']);
  t.equal(assign.code, 0, assign.stderr);
  t.equal(assign.stdout, 'Contoso Notes: install on all (device scope)\n');
  const status = await cli(['apps', 'show', 'Contoso Notes', '--status', '--json']);
  t.match(JSON.parse(status.stdout), { deployments: [{ intent: 'install', scope: 'device' }], status: [{ intent: 'install', deliveries: [] }] });
  const unassign = await cli(['apps', 'unassign', 'Contoso Notes', '--target', 'all']);
  t.equal(unassign.code, 0, unassign.stderr);
});

t.test('add-url', async (t) => {
  vendor.file('/clip.msi', fs.readFileSync(other.file));
  const r = await cli(['apps', 'add-url', vendor.url('/clip.msi'), '--sha256', other.sha256]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^Contoso Clip 1\.0\.0 \(app /);
  const bad = await cli(['apps', 'add-url', vendor.url('/clip.msi'), '--sha256', v1.sha256]);
  t.equal(bad.code, 1);
  t.match(bad.stderr, new RegExp(`422 hash_mismatch at /sha256: .*${other.sha256}`));
});

t.test('refusals', async (t) => {
  const notPkg = path.join(dir, 'notes.txt');
  fs.writeFileSync(notPkg, 'not a package\n'.repeat(100));
  const r = await cli(['apps', 'upload', notPkg]);
  t.equal(r.code, 1);
  t.match(r.stderr, /422 unreadable_package at \/package: not a package/);
  const missing = await cli(['apps', 'upload', path.join(dir, 'nope.msi')]);
  t.equal(missing.code, 2, 'a file that is not there: usage error');
  t.match(missing.stderr, /cannot read .*nope\.msi: ENOENT/);
  const big = await buildMsi(dir, { name: 'Contoso Big', version: '1.0.0', manufacturer: 'Contoso Ltd', payloadBytes: LIMIT * 4 });
  const tooBig = await cli(['apps', 'upload', big.file]);
  t.equal(tooBig.code, 1, 'a package over the limit');
  t.match(
    tooBig.stderr,
    new RegExp(`413 too_large: .*limit of ${LIMIT} bytes`),
    "the server's answer, though it closed the connection before the file was sent",
  );
  t.equal((await cli(['apps', 'add-url', vendor.url('/clip.msi')])).code, 2, '--sha256 missing');
  t.equal((await cli(['apps', 'assign', 'Contoso Clip', '--target', 'printer:1'])).code, 2, 'an unknown target type');
  const noApp = await cli(['apps', 'live', 'No Such App', '1.0']);
  t.equal(noApp.code, 2);
  t.match(noApp.stderr, /no app "No Such App"/);
});
