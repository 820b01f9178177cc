// The admin API refuses what it cannot honour, over real HTTPS: each refusal names its field
// (error.pointer), body limits follow the schemas and state themselves, malformed JSON says where,
// every schema error is listed, and deleting what others depend on answers 409 unless forced.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { enrollEntraDevice } from '../helpers/enrolled.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const FIX = path.join(import.meta.dirname, '..', '..', 'fixtures', 'csp');
const PFX_B64 = fs.readFileSync(path.join(FIX, 'pfx-modern.b64'), 'utf8').trim();
const ROOT_PEM = fs.readFileSync(path.join(FIX, 'test-root-ca.pem'), 'utf8');

/** A request with a raw body (text as given) and any headers. */
async function raw(s: TestServer, method: string, p: string, body: string | undefined, headers: Record<string, string> = {}) {
  const res = await s.request(p, { method, body, headers: { authorization: `Bearer ${s.adminToken}`, ...headers } });
  const txt = res.text();
  return { status: res.status, json: txt ? JSON.parse(txt) : undefined };
}

const JSON_TYPE = { 'content-type': 'application/json' };
type Tap = Pick<typeof t, 'equal' | 'match'>;

t.test('admin API refusals', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const d = await enrollEntraDevice(s, tid);
  const deviceId = d.dev.deviceId;
  const expectRefused = (t: Tap, r: { status: number; json: any }, status: number, pointer: string, message?: RegExp) => {
    t.equal(r.status, status, `${status}: ${JSON.stringify(r.json)}`);
    t.equal(r.json?.error?.pointer, pointer, `names ${pointer}`);
    if (message) t.match(r.json.error.message, message);
  };

  await t.test('body limits follow the schemas and state themselves', async (t) => {
    // A 90 KB ADMX-sized value: the custom-profile schema admits 1 MiB values.
    const admx = `<enabled/><data id="Text" value="${'x'.repeat(90_000)}"/>`;
    const big = await s.admin('POST', '/api/v1/profiles', {
      name: 'ADMX',
      kind: 'custom',
      scope: 'device',
      settings: { nodes: [{ locUri: './Device/Vendor/MSFT/Policy/Config/ADMX_Fenestra/Setting', format: 'chr', value: admx }] },
    });
    t.equal(big.status, 201, `90 KB custom profile accepted: ${JSON.stringify(big.json)?.slice(0, 200)}`);

    // 10,001 members: the schema's maxItems answers, naming the field, not a bare too_large.
    const members = Array.from({ length: 10_001 }, (_, i) => `user${i}@contoso.com`);
    expectRefused(t, await s.admin('POST', '/api/v1/groups', { name: 'Everyone', kind: 'user', members }), 400, '/members', /more than 10000 items/);
    const ok = await s.admin('POST', '/api/v1/groups', { name: 'Ten thousand', kind: 'user', members: members.slice(0, 10_000) });
    t.equal(ok.status, 201, '10,000 members accepted');

    // Past the ceiling, or past what a small schema admits: 413 stating the limit.
    const huge = await raw(
      s,
      'POST',
      '/api/v1/profiles',
      JSON.stringify({ name: 'x', kind: 'custom', scope: 'device', settings: { pad: 'y'.repeat(9 * 1024 * 1024) } }),
      JSON_TYPE,
    );
    t.equal(huge.status, 413);
    t.same(huge.json, { error: { code: 'too_large', message: 'body exceeds 8388608 bytes' } });
    const tenant = await raw(s, 'POST', '/api/v1/tenants', JSON.stringify({ tenantId: 'x', cloud: 'standard', audiences: ['a'.repeat(70_000)] }), JSON_TYPE);
    t.equal(tenant.status, 413);
    t.match(tenant.json.error.message, /^body exceeds \d+ bytes$/);
  });

  await t.test('malformed JSON says where; every schema error is listed; DELETE takes a JSON type without body', async (t) => {
    const bad = await raw(s, 'POST', '/api/v1/groups', '{\n  "name": "x",\n}', JSON_TYPE);
    t.equal(bad.status, 400);
    t.equal(bad.json.error.code, 'invalid_json');
    t.match(bad.json.error.message, /line 3 column 1 \(offset 17\)/, 'line, column and offset');

    const all = await s.admin('POST', '/api/v1/tenants', { cloud: 'moon', extra: 1 });
    t.equal(all.status, 400);
    const pointers = all.json.error.errors.map((e: { pointer: string }) => e.pointer);
    for (const p of ['/tenantId', '/audiences', '/extra', '/cloud']) t.ok(pointers.includes(p), `errors[] names ${p}`);
    t.equal(all.json.error.pointer, all.json.error.errors[0].pointer, 'error.pointer is the first, as before');

    const g = await s.admin('POST', '/api/v1/groups', { name: 'Empty', kind: 'user' });
    const del = await raw(s, 'DELETE', `/api/v1/groups/${g.json.id}`, undefined, JSON_TYPE);
    t.equal(del.status, 204, 'DELETE with Content-Type: application/json and no body');
  });

  await t.test('raw commands: data matches its format; userOid is a GUID', async (t) => {
    const item = (format: string, data: string) => ({ verb: 'Replace', items: [{ target: './Vendor/MSFT/Policy/Config/X/Y', format, data }] });
    for (const [format, data] of [
      ['int', 'abc'],
      ['int', '99999999999'],
      ['bool', 'yes'],
      ['float', '1,5'],
      ['b64', 'not base64!'],
      ['date', '2026-13-01'],
      ['time', '25:00:00'],
      ['null', 'x'],
    ]) {
      expectRefused(t, await s.admin('POST', `/api/v1/devices/${deviceId}/commands`, item(format, data)), 400, '/items/0/data', new RegExp(`format ${format}`));
    }
    for (const [format, data] of [
      ['int', '-42'],
      ['bool', 'false'],
      ['date', '2026-12-06'],
      ['time', '14:30:00Z'],
      ['b64', 'QUJD'],
    ]) {
      t.equal((await s.admin('POST', `/api/v1/devices/${deviceId}/commands`, item(format, data))).status, 201, `${format} ${data} accepted`);
    }
    expectRefused(t, await s.admin('POST', `/api/v1/devices/${deviceId}/commands`, { action: 'sync', userOid: 'not-a-guid' }), 400, '/userOid');
    const upper = '72F988BF-86F1-41AF-91AB-2D7CD011DB47';
    expectRefused(t, await s.admin('POST', `/api/v1/devices/${deviceId}/commands`, { action: 'sync', userOid: upper }), 400, '/userOid');
    t.equal((await s.admin('POST', `/api/v1/devices/${deviceId}/commands`, { action: 'sync', userOid: upper.toLowerCase() })).status, 201);
  });

  await t.test('profiles: PFX password, mail accountId, Hello tenant', async (t) => {
    const pfx = (password: string) => ({
      name: `PFX ${password}`,
      kind: 'certificate',
      scope: 'user',
      settings: { ref: `pfx-${password}`, type: 'pfx', pfxBase64: PFX_B64, password },
    });
    expectRefused(t, await s.admin('POST', '/api/v1/profiles', pfx('wrong')), 400, '/settings/password', /does not open the PFX/);
    t.equal((await s.admin('POST', '/api/v1/profiles', pfx('correct-horse'))).status, 201, 'right password accepted');

    const mail = (name: string, accountId: string) => ({
      name,
      kind: 'email',
      scope: 'user',
      settings: {
        accountId,
        accountName: name,
        emailAddress: 'a@contoso.com',
        serviceType: 'IMAP4',
        incoming: { host: 'imap.contoso.com', port: 993 },
        outgoing: { host: 'smtp.contoso.com', port: 587 },
        userName: 'a',
      },
    });
    t.equal((await s.admin('POST', '/api/v1/profiles', mail('Mail 1', 'corp-mail'))).status, 201);
    expectRefused(t, await s.admin('POST', '/api/v1/profiles', mail('Mail 2', 'corp-mail')), 409, '/settings/accountId', /Mail 1/);
    const other = await s.admin('POST', '/api/v1/profiles', mail('Mail 3', 'other-mail'));
    t.equal(other.status, 201);
    expectRefused(
      t,
      await s.admin('PATCH', `/api/v1/profiles/${other.json.id}`, { settings: mail('Mail 3', 'corp-mail').settings }),
      409,
      '/settings/accountId',
    );

    const hello = (tenantId: string) => ({ name: 'Hello', kind: 'hello', scope: 'device', settings: { tenantId, enabled: true } });
    expectRefused(t, await s.admin('POST', '/api/v1/profiles', hello('72f988bf-86f1-41af-91ab-2d7cd011db47')), 400, '/settings/tenantId', /not connected/);
    t.equal((await s.admin('POST', '/api/v1/profiles', hello(tid.toUpperCase()))).status, 201, 'a connected tenant, any case');
  });

  await t.test('assignments and groups: case-insensitive users, existing devices, all without targetId', async (t) => {
    const p = await s.admin('POST', '/api/v1/profiles', { name: 'Open Wi-Fi', kind: 'wifi', scope: 'device', settings: { ssid: 'Guest', security: 'open' } });
    const A = `/api/v1/profiles/${p.json.id}/assignments`;
    expectRefused(t, await s.admin('POST', A, { targetType: 'all', targetId: 'x' }), 400, '/targetId', /takes no targetId/);
    t.equal((await s.admin('POST', A, { targetType: 'user', targetId: 'ALICE@contoso.com' })).status, 201);
    expectRefused(t, await s.admin('POST', A, { targetType: 'user', targetId: 'alice@contoso.com' }), 409, '/targetId', /case-insensitively/);

    expectRefused(
      t,
      await s.admin('POST', '/api/v1/groups', { name: 'Sales', kind: 'user', members: ['ALICE@contoso.com', 'bob@contoso.com', 'alice@contoso.com'] }),
      400,
      '/members/2',
      /repeats \/members\/0/,
    );
    t.notOk(
      (await s.admin('GET', '/api/v1/groups')).json.some((g: { name: string }) => g.name === 'Sales'),
      'a refused group is not created',
    );

    expectRefused(
      t,
      await s.admin('POST', '/api/v1/groups', { name: 'Kiosks', kind: 'device', members: [deviceId, 'no-such-device'] }),
      400,
      '/members/1',
      /no-such-device/,
    );
    const kiosks = await s.admin('POST', '/api/v1/groups', { name: 'Kiosks', kind: 'device', members: [deviceId, d.entraDeviceId] });
    t.equal(kiosks.status, 201, 'DeviceID and Entra device ID of an enrolled device accepted');
    expectRefused(t, await s.admin('POST', `/api/v1/groups/${kiosks.json.id}/members`, { members: ['ghost'] }), 400, '/members/0');
  });

  await t.test('deleting what others depend on: 409 naming them, unless forced; the audit says what went', async (t) => {
    const g = await s.admin('POST', '/api/v1/groups', { name: 'Finance', kind: 'user', members: ['carol@contoso.com'] });
    const p = await s.admin('POST', '/api/v1/profiles', { name: 'Finance Wi-Fi', kind: 'wifi', scope: 'user', settings: { ssid: 'Fin', security: 'open' } });
    t.equal((await s.admin('POST', `/api/v1/profiles/${p.json.id}/assignments`, { targetType: 'group', targetId: g.json.id })).status, 201);
    const held = await s.admin('DELETE', `/api/v1/groups/${g.json.id}`);
    t.equal(held.status, 409);
    t.equal(held.json.error.code, 'has_dependents');
    t.match(held.json.error.message, /Finance Wi-Fi/, 'names the assigned profile');
    t.equal((await s.admin('GET', `/api/v1/groups/${g.json.id}`)).status, 200, 'still there');
    t.equal((await s.admin('DELETE', `/api/v1/groups/${g.json.id}?force=true`)).status, 204, 'forced');
    const audit = (await s.admin('GET', '/api/v1/audit?limit=20')).json.entries;
    const gone = audit.find((e: { action: string; targetId: string }) => e.action === 'group.delete' && e.targetId === g.json.id);
    t.match(gone.detail, { forced: true, removedAssignments: [{ type: 'assignment', id: p.json.id, name: 'Finance Wi-Fi' }] });

    const root = await s.admin('POST', '/api/v1/profiles', {
      name: 'Corp root',
      kind: 'certificate',
      scope: 'device',
      settings: { ref: 'corp-root', type: 'trusted-root', certificateBase64: ROOT_PEM },
    });
    t.equal(root.status, 201, JSON.stringify(root.json));
    const wifi = await s.admin('POST', '/api/v1/profiles', {
      name: 'Corp Wi-Fi',
      kind: 'wifi',
      scope: 'user',
      settings: { ssid: 'Corp', security: 'WPA2', eap: { method: 'peap-mschapv2', serverTrust: { rootCertificateRefs: ['corp-root'] } } },
    });
    t.equal(wifi.status, 201, JSON.stringify(wifi.json));
    const kept = await s.admin('DELETE', `/api/v1/profiles/${root.json.id}`);
    t.equal(kept.status, 409);
    t.match(kept.json.error.message, /Corp Wi-Fi/);
    t.equal((await s.admin('DELETE', `/api/v1/profiles/${root.json.id}?force=true`)).status, 204);
    const entries = (await s.admin('GET', '/api/v1/audit?limit=20')).json.entries;
    const del = entries.find((e: { action: string; targetId: string }) => e.action === 'profile.delete' && e.targetId === root.json.id);
    t.match(del.detail, { forced: true, orphanedProfiles: [{ type: 'profile', id: wifi.json.id, name: 'Corp Wi-Fi' }] });
  });
});
