// Profiles, assignments and groups through the admin API: validated by compiling, secrets sealed
// at rest and masked on the way out, every change audited.
import path from 'node:path';
import t from 'tap';
import Database from 'better-sqlite3';
import { startTestServer } from '../helpers/server.js';

t.test('profiles API', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const wifi = { name: 'Office Wi-Fi', kind: 'wifi', scope: 'user', settings: { ssid: 'Contoso', security: 'WPA2PSK', passphrase: 'correct horse battery' } };
  const created = await s.admin('POST', '/api/v1/profiles', wifi);
  t.equal(created.status, 201, JSON.stringify(created.json));
  const id = created.json.id;
  t.equal(created.json.settings.passphrase, '********', 'secret masked');
  t.equal(created.json.version, 1);

  const db = new Database(path.join(s.dir, 'data', 'fenestra.db'), { readonly: true });
  const raw = (db.prepare('SELECT settings FROM profiles WHERE id = ?').get(id) as { settings: string }).settings;
  db.close();
  t.notOk(raw.includes('correct horse battery'), 'secret sealed at rest');
  t.match(raw, /"passphrase":"v1\./);
  t.notOk(JSON.stringify((await s.admin('GET', '/api/v1/audit')).json).includes('correct horse'), 'not in the audit log');

  const renamed = await s.admin('PATCH', `/api/v1/profiles/${id}`, { name: 'HQ Wi-Fi', settings: { ...wifi.settings, passphrase: '********', hidden: true } });
  t.equal(renamed.status, 200);
  t.equal(renamed.json.version, 2);
  t.equal(renamed.json.settings.hidden, true);
  const db2 = new Database(path.join(s.dir, 'data', 'fenestra.db'), { readonly: true });
  const raw2 = (db2.prepare('SELECT settings FROM profiles WHERE id = ?').get(id) as { settings: string }).settings;
  db2.close();
  t.match(raw2, /"passphrase":"v1\./, 'the masked value kept the stored secret');

  const bad: [object, number, string][] = [
    [{ ...wifi, settings: { ssid: 'x', security: 'WPA2PSK' } }, 400, '/settings'],
    [{ ...wifi, settings: { ...wifi.settings, security: 'WEP' } }, 400, '/settings/security'],
    [{ ...wifi, kind: 'fax' }, 400, '/kind'],
    [{ name: 'Mail', kind: 'email', scope: 'device', settings: {} }, 400, ''],
    [{ ...wifi, extra: 1 }, 400, '/extra'],
  ];
  for (const [body, status, pointer] of bad) {
    const r = await s.admin('POST', '/api/v1/profiles', body);
    t.equal(r.status, status, JSON.stringify(body).slice(0, 80));
    t.ok(typeof r.json.error.pointer === 'string' && r.json.error.pointer.startsWith(pointer), `pointer ${r.json.error.pointer} under ${pointer || '/'}`);
  }

  const g = await s.admin('POST', '/api/v1/groups', { name: 'Sales', kind: 'user', members: ['Alice@Contoso.com'] });
  t.equal(g.status, 201);
  t.same(g.json.members, ['alice@contoso.com']);
  t.equal((await s.admin('POST', '/api/v1/groups', { name: 'Sales', kind: 'user' })).status, 409);
  t.equal((await s.admin('POST', `/api/v1/groups/${g.json.id}/members`, { members: ['not an upn'] })).status, 400);
  const added = await s.admin('POST', `/api/v1/groups/${g.json.id}/members`, { members: ['bob@contoso.com'] });
  t.same(added.json.members, ['alice@contoso.com', 'bob@contoso.com']);
  t.equal((await s.admin('DELETE', `/api/v1/groups/${g.json.id}/members/bob@contoso.com`)).status, 204);

  for (const a of [{ targetType: 'group', targetId: g.json.id }, { targetType: 'user', targetId: 'Carol@Contoso.com' }, { targetType: 'all' }]) {
    t.equal((await s.admin('POST', `/api/v1/profiles/${id}/assignments`, a)).status, 201, JSON.stringify(a));
  }
  t.equal((await s.admin('POST', `/api/v1/profiles/${id}/assignments`, { targetType: 'all' })).status, 409);
  t.equal((await s.admin('POST', `/api/v1/profiles/${id}/assignments`, { targetType: 'device', targetId: 'nope' })).status, 400);
  t.equal((await s.admin('POST', `/api/v1/profiles/${id}/assignments`, { targetType: 'group', targetId: 'nope' })).status, 400);
  const one = await s.admin('GET', `/api/v1/profiles/${id}`);
  t.same(one.json.assignments.map((a: any) => `${a.targetType}:${a.targetId}`).sort(), ['all:*', `group:${g.json.id}`, 'user:carol@contoso.com']);
  t.equal((await s.admin('DELETE', `/api/v1/profiles/${id}/assignments`, { targetType: 'user', targetId: 'carol@contoso.com' })).status, 204);
  t.equal((await s.admin('DELETE', `/api/v1/profiles/${id}/assignments`, { targetType: 'user', targetId: 'carol@contoso.com' })).status, 404);

  t.equal((await s.admin('DELETE', `/api/v1/profiles/${id}`)).status, 204);
  t.equal((await s.admin('GET', `/api/v1/profiles/${id}`)).status, 404);
  t.same((await s.admin('GET', '/api/v1/profiles')).json, []);
  const actions = (await s.admin('GET', '/api/v1/audit?limit=50')).json.entries.map((e: any) => e.action);
  for (const a of ['profile.create', 'profile.change', 'profile.assign', 'profile.unassign', 'profile.delete', 'group.create']) t.ok(actions.includes(a), a);
});
