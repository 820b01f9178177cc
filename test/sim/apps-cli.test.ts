// `fenestra sim` and apps: --app-fault values checked, and against a real server a saved device
// (--state) gets a device MSI whose first download is cut (`--app-fault cut-download:N`): the
// job waits at 25 in the state file, the next `fenestra sim checkin` resumes it with Range and
// installs it; the partial download is kept next to the state file meanwhile.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { parseAppFault } from '../../src/sim/apps/faults.js';
import { buildMsi, noWixl } from '../helpers/packages.js';
import { runSimHere as sim } from '../helpers/run-sim.js';
import { AUDIENCE, startTestServer } from '../helpers/server.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-sim-apps-cli-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

t.test('--app-fault values', async (t) => {
  t.same(parseAppFault('cut-download:4096'), { cutDownloadAfter: 4096 });
  t.same(parseAppFault('install', parseAppFault('hash')), { hash: true, install: true }, 'repeatable');
  t.throws(() => parseAppFault('cut-download:-1'), /expected cut-download:<bytes>, hash, install or download/);
  t.throws(() => parseAppFault('everything'), /"everything": expected/);
  const r = await sim(['checkin', '--state', path.join(dir, 'none.json'), '--app-fault', 'sometimes']);
  t.equal(r.code, 1);
  t.match(r.out, /fenestra sim checkin: --app-fault "sometimes": expected cut-download:<bytes>, hash, install or download/);
  t.match((await sim(['--help'])).out, /--app-fault F/, 'the usage says so');
});

t.test('a saved device resumes a cut MSI download in the next run', { skip: noWixl }, async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const ca = path.join(dir, 'ca.pem');
  fs.writeFileSync(ca, s.caPem);
  const deviceid = crypto.randomUUID();
  const tokens = path.join(dir, 'tokens.txt');
  fs.writeFileSync(tokens, (await s.entra.mintToken({ tid, aud: AUDIENCE, upn: 'dora@contoso.com', deviceid })) + '\n');
  const state = path.join(dir, 'fleet.json');
  const enrolled = await sim(['--url', s.publicUrl, '--connect', `127.0.0.1:${s.server.port}`, '--ca', ca, '--entra-token-file', tokens, '--state', state]);
  t.equal(enrolled.code, 0, enrolled.out);

  const msi = await buildMsi(dir, { name: 'Fabrikam Suite', version: '5.0.0', manufacturer: 'Fabrikam', payloadBytes: 300_000 });
  const up = await s.request('/api/v1/apps/packages', {
    connectTo: { host: '127.0.0.1', port: s.server.adminPort ?? s.server.port },
    method: 'POST',
    headers: { authorization: `Bearer ${s.adminToken}`, 'content-type': 'application/octet-stream' },
    body: fs.readFileSync(msi.file),
  });
  t.equal(up.status, 201, up.text());
  const appId = JSON.parse(up.text()).app.id;
  const devicePk = (await s.admin('GET', '/api/v1/devices')).json.devices[0].id;
  const a = await s.admin('POST', `/api/v1/apps/${appId}/assignments`, { targetType: 'device', targetId: devicePk, intent: 'install', scope: 'device' });
  t.equal(a.status, 201, JSON.stringify(a.json));

  const first = await sim(['checkin', '--state', state, '--all', '--app-fault', 'cut-download:100000']);
  t.equal(first.code, 0, first.out);
  t.match(first.out, /Exec \.\/Device\/Vendor\/MSFT\/EnterpriseDesktopAppManagement\/MSI\/%7B[0-9A-F-]+%7D\/DownloadInstall → 202/);
  t.match(first.out, new RegExp(`MSI \\${msi.productCode.slice(0, -1)}\\}: Status 10 → 20 → 25, LastError 0x80072EFE`));
  const saved = JSON.parse(fs.readFileSync(state, 'utf8')).devices[0].apps;
  t.match(saved.jobs[0], { id: msi.productCode, state: 'retry', statuses: [10, 20, 25] }, 'the job is kept in the state file');
  const parts = fs.readdirSync(path.join(`${state}.apps`, saved.jobs[0].packages[0].file.split(path.sep).at(-2)));
  t.equal(parts.length, 1, 'the partial download is kept beside the state file');

  const second = await sim(['checkin', '--state', state, '--all']);
  t.equal(second.code, 0, second.out);
  t.match(second.out, /Status 20 → 40 → 50 → 70/);
  const job = JSON.parse(fs.readFileSync(state, 'utf8')).devices[0].apps.jobs[0];
  t.equal(job.http[1].status, 206, 'resumed with Range');
  t.equal(job.http[1].requestedFrom, 100_000);

  const third = await sim(['checkin', '--state', state, '--all']);
  t.equal(third.code, 0, third.out);
  const st = (await s.admin('GET', `/api/v1/apps/${appId}/status`)).json;
  t.same(
    st.flatMap((p: any) => p.deliveries.map((d: any) => d.status)),
    ['verified'],
    'the server followed it to installed',
  );
});
