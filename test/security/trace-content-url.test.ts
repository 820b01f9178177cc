// A signed package URL is a bearer credential (whoever holds it downloads the package until it
// expires, FENESTRA_CONTENT_URL_TTL_HOURS, 24 by default). Session traces are readable by the
// helpdesk role (devices.diagnose), which has no way to download packages: the traces must keep
// where the download went (hash, expiry) but not the signature. Real server, simulator device,
// an MSI built with wixl, uploaded and deployed through the admin API.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { buildMsi, noWixl } from '../helpers/packages.js';
import { startTestServer } from '../helpers/server.js';
import { entraSimDevice } from '../helpers/sim-device.js';

if (noWixl) {
  t.plan(0, noWixl);
  process.exit(0);
}

t.test('session traces do not hand out signed package URLs', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-trace-url-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const msi = await buildMsi(dir, { name: 'Contoso Probe', version: '1.0.0', manufacturer: 'Contoso' });
  const logs: string[] = [];
  const s = await startTestServer({}, { logSink: { write: (line: string) => void logs.push(line) } });
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const oid = crypto.randomUUID();
  const dev = entraSimDevice(s, tid, { upn: 'probe@contoso.com', oid }, { appDir: path.join(dir, 'device') });
  await dev.enroll();
  const up = await s.request('/api/v1/apps/packages', {
    method: 'POST',
    headers: { authorization: `Bearer ${s.adminToken}`, 'content-type': 'application/octet-stream' },
    body: fs.readFileSync(msi.file),
  });
  t.equal(up.status, 201, 'uploaded');
  const appId = JSON.parse(up.text()).app.id as string;
  t.equal((await s.admin('POST', `/api/v1/apps/${appId}/assignments`, { targetType: 'device', targetId: dev.deviceId, intent: 'install' })).status, 201);
  const r = await dev.checkin();
  t.equal(r.outcome, 'complete');
  const job = r.commands.find((c) => c.kind === 'Exec' && c.targets[0].endsWith('/DownloadInstall'));
  t.ok(job, 'the device was sent the install');
  // In the trace the URL is escaped once or twice (XML in the Data of an XML message).
  const signed = /\/content\/[0-9a-f]{64}\?e=\d+&(?:amp;)*s=[A-Za-z0-9_-]{43}/;
  t.match(job?.data[0], signed, 'the device itself got a signed URL');

  const helpdesk = await s.admin('POST', '/api/v1/admins', { username: 'hd', role: 'helpdesk', password: 'correct horse battery staple' });
  const tok = await s.admin('POST', '/api/v1/tokens', { name: 'hd', role: 'helpdesk', adminId: helpdesk.json.id });
  t.equal(tok.status, 201);
  const all = await Promise.all(
    [`/api/v1/devices/${dev.deviceId}/commands`, `/api/v1/devices/${dev.deviceId}/apps`, `/api/v1/apps/${appId}/status`, `/api/v1/devices/${dev.deviceId}`].map(
      async (p) => (await s.request(p, { headers: { authorization: `Bearer ${tok.json.secret}` } })).text(),
    ),
  );
  t.ok(logs.length > 10, `${logs.length} log lines at debug level`);
  t.notMatch(logs.join(''), signed, 'the logs (debug level) hold no signed URL');
  t.notMatch(all.join('\n'), signed, 'nor do the command list, the device, its apps or the delivery status');
  for (const pretty of [false, true]) {
    const res = await s.request(`/api/v1/devices/${dev.deviceId}/sessions?limit=50${pretty ? '&pretty=true' : ''}`, {
      headers: { authorization: `Bearer ${tok.json.secret}` },
    });
    t.equal(res.status, 200, 'the helpdesk reads the traces');
    const bodies = (JSON.parse(res.text()).messages as { body: string }[]).map((m) => m.body).join('\n');
    t.match(bodies, new RegExp(`/content/${msi.sha256}\\?e=\\d+`), `pretty=${pretty}: the trace still says which package and until when`);
    t.notMatch(bodies, signed, `pretty=${pretty}: but not the signature`);
    const leaked = signed.exec(bodies)?.[0];
    if (leaked) {
      const url = leaked.replace(/&(?:amp;)*/g, '&');
      t.equal((await s.request(url)).status, 200, `pretty=${pretty}: the URL in the trace downloads the package`);
    }
  }
});

t.test('every escaping of a signed URL is redacted (MSI job text, MSIX attributes, plain)', async (t) => {
  const { traceBody } = await import('../../src/service/management/trace.js');
  const sig = 'mAZG9ce2qgF7LP8xR0XrrAHtKVepVglEPE6WaC7q54g';
  const url = (amp: string) => `https://mdm.example/content/${'ab'.repeat(32)}?e=1796661822${amp}s=${sig}`;
  for (const [what, xml] of [
    ['plain', `<Data>${url('&')}</Data>`],
    ['escaped once (an MSIX PackageUri in an XML item)', `<Data><Application PackageUri="${url('&amp;')}"/></Data>`],
    ['escaped twice (the MSI job as text)', `<Data>&lt;ContentURL&gt;${url('&amp;amp;')}&lt;/ContentURL&gt;</Data>`],
    ['two URLs in one message', `<Data>${url('&amp;')} ${url('&amp;')}</Data>`],
  ] as const) {
    const { body } = traceBody(xml, 1 << 20);
    t.notMatch(body, sig, `${what}: no signature`);
    t.match(body, /\/content\/(ab){32}\?e=1796661822&(amp;)*s=\[redacted\]/, `${what}: hash and expiry kept`);
  }
});
