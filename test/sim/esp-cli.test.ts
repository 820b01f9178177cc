// `fenestra sim` and the Enrollment Status Page (#16): against a real server whose ESP policy
// requires a custom policy and a device MSI, `fenestra sim --state` enrolls a device and prints its
// page in progress (the policy done, the MSI not yet reported); the page is kept in the state file,
// so the next `fenestra sim checkin` continues the same page and prints it done once the server
// finishes; `fenestra sim list` shows it (text and JSON).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { buildMsi, noWixl } from '../helpers/packages.js';
import { runSimHere as sim } from '../helpers/run-sim.js';
import { AUDIENCE, startTestServer } from '../helpers/server.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-sim-esp-cli-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const CAMERA = './Device/Vendor/MSFT/Policy/Config/Camera/AllowCamera';

t.test('fenestra sim prints the page and keeps it across runs', { skip: noWixl }, async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const ok = async (method: string, p: string, body?: unknown) => {
    const r = await s.admin(method, p, body);
    if (r.status >= 300) throw new Error(`${method} ${p}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
  };
  const camera = await ok('POST', '/api/v1/profiles', {
    name: 'No camera',
    kind: 'custom',
    scope: 'device',
    settings: { nodes: [{ locUri: CAMERA, format: 'int', value: '0' }] },
  });
  await ok('POST', `/api/v1/profiles/${camera.id}/assignments`, { targetType: 'all' });
  const msi = await buildMsi(dir, { name: 'Fabrikam Tool', version: '1.4.0', manufacturer: 'Fabrikam' });
  const up = await s.request('/api/v1/apps/packages', {
    connectTo: { host: '127.0.0.1', port: s.server.adminPort ?? s.server.port },
    method: 'POST',
    headers: { authorization: `Bearer ${s.adminToken}`, 'content-type': 'application/octet-stream' },
    body: fs.readFileSync(msi.file),
  });
  t.equal(up.status, 201, up.text());
  const app = await ok('POST', `/api/v1/apps/${JSON.parse(up.text()).app.id}/assignments`, { targetType: 'all', intent: 'install', scope: 'device' });
  await ok('POST', '/api/v1/esp-policies', {
    name: 'All',
    target: { type: 'all' },
    requiredProfileIds: [camera.id, app.profileId],
    timeoutMinutes: 90,
    errorText: 'Call IT',
    skipUserPhase: true,
  });

  const ca = path.join(dir, 'ca.pem');
  fs.writeFileSync(ca, s.caPem);
  const tokens = path.join(dir, 'tokens.txt');
  fs.writeFileSync(tokens, (await s.entra.mintToken({ tid, aud: AUDIENCE, upn: 'dora@contoso.com', deviceid: crypto.randomUUID() })) + '\n');
  const state = path.join(dir, 'fleet.json');
  const enrolled = await sim(['--url', s.publicUrl, '--connect', `127.0.0.1:${s.server.port}`, '--ca', ca, '--entra-token-file', tokens, '--state', state]);
  t.equal(enrolled.code, 0, enrolled.out);

  const saved = JSON.parse(fs.readFileSync(state, 'utf8'));
  const phases = saved.devices[0].esp.phases;
  t.same(
    phases.map((p: any) => [p.user, p.status, p.items.map((i: any) => [i.category, i.status])]),
    [
      [
        '',
        'in-progress',
        [
          ['policies', 'done'],
          ['apps', 'done'],
        ],
      ],
    ],
    'the state file keeps the page: the MSI installed after the session, not reported yet',
  );
  const listed = await sim(['list', '--state', state]);
  t.match(listed.out, /ESP device: in-progress, 2\/2 items done/);

  const next = await sim(['checkin', '--state', state]);
  t.equal(next.code, 0, next.out);
  t.match(next.out, /device [0-9A-F]+: ESP device: done \(2\/2 items done, time-out 90 min, ended /, 'the page printed as it ended');
  t.match(next.out, /device [0-9A-F]+: {3}done {4}apps {9}\.\/\S+\/EnterpriseDesktopAppManagement\/MSI\/\S+\/Status/);
  const again = JSON.parse(fs.readFileSync(state, 'utf8')).devices[0].esp.phases;
  t.equal(again.length, 1, 'the same page, continued');
  t.equal(again[0].startedAt, phases[0].startedAt, 'opened at enrollment, not at the restore');
  t.equal(again[0].status, 'done');
  const json = JSON.parse((await sim(['list', '--state', state, '--json'])).out);
  t.match(json.devices[0].esp, [{ user: '', status: 'done', items: 2, done: 2 }]);
  const quiet = await sim(['checkin', '--state', state]);
  t.notMatch(quiet.out, /ESP/, 'an ended page is not printed again');
});
