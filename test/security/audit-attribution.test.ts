// Every change an administrator makes through the session-8 admin routes (apps, ESP policies,
// branding) is in the audit log under that administrator's name and token — not under the
// break-glass token, not missing. One admin token does it all; after each call the newest entries
// are read back with the owner's token.
import t from 'tap';
import { startTestServer } from '../helpers/server.js';

const office = (version: string) =>
  `<Configuration><Add OfficeClientEdition="64" Channel="MonthlyEnterprise" Version="${version}"><Product ID="O365ProPlusRetail"><Language ID="en-us"/></Product></Add></Configuration>`;

t.test('session-8 changes are audited under the administrator who made them', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const ada = await s.admin('POST', '/api/v1/admins', { username: 'ada', role: 'admin', password: 'correct horse battery staple' });
  const tok = await s.admin('POST', '/api/v1/tokens', { name: 'script', role: 'admin', adminId: ada.json.id });
  t.equal(tok.status, 201);
  const as = async (method: string, path: string, body?: unknown) => {
    const headers: Record<string, string> = { authorization: `Bearer ${tok.json.secret}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const r = await s.request(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = r.text();
    return { status: r.status, json: text ? JSON.parse(text) : undefined };
  };
  let seen = new Set<string>(((await s.admin('GET', '/api/v1/audit?limit=200')).json.entries as { id: string }[]).map((e) => e.id));
  /** The call succeeds and adds at least one entry, each of them by ada's token, one with `action`. */
  const audited = async (what: string, action: string, call: () => Promise<{ status: number; json: any }>) => {
    const r = await call();
    t.ok(r.status >= 200 && r.status < 300, `${what}: ${r.status} ${r.status >= 300 ? JSON.stringify(r.json) : ''}`);
    const entries = ((await s.admin('GET', '/api/v1/audit?limit=200')).json.entries as { id: string; actor: string; action: string }[]).filter(
      (e) => !seen.has(e.id),
    );
    seen = new Set([...seen, ...entries.map((e) => e.id)]);
    t.ok(
      entries.some((e) => e.action === action),
      `${what}: audited as ${action} (${entries.map((e) => e.action).join(', ') || 'nothing'})`,
    );
    for (const e of entries) t.match(e.actor, /^ada \(token script\)$/, `${what}: ${e.action} by ada's token`);
    return r.json;
  };

  const added = await audited('add an Office app', 'app.create', () =>
    as('POST', '/api/v1/apps/office', { name: 'Microsoft 365 Apps', configurationXml: office('16.0.1') }),
  );
  const appId = added.app.id as string;
  const v2 = await audited('add a second version', 'app.version.add', () =>
    as('POST', '/api/v1/apps/office', { name: 'Microsoft 365 Apps', configurationXml: office('16.0.2') }),
  );
  t.equal(v2.app.id, appId, 'the same app');
  await audited('rename', 'app.change', () => as('PATCH', `/api/v1/apps/${appId}`, { name: 'M365' }));
  await audited('make v2 live', 'app.live', () => as('PUT', `/api/v1/apps/${appId}/live`, { versionId: v2.version.id }));
  await audited('delete v1', 'app.version.delete', () => as('DELETE', `/api/v1/apps/${appId}/versions/${added.version.id}`));
  await audited('deploy', 'profile.assign', () => as('POST', `/api/v1/apps/${appId}/assignments`, { targetType: 'all', intent: 'install', scope: 'device' }));
  await audited('undeploy', 'profile.unassign', () =>
    as('DELETE', `/api/v1/apps/${appId}/assignments`, { targetType: 'all', intent: 'install', scope: 'device' }),
  );
  await audited('delete the app', 'app.delete', () => as('DELETE', `/api/v1/apps/${appId}?force=true`));
  const esp = await audited('create an ESP policy', 'esp.create', () =>
    as('POST', '/api/v1/esp-policies', { name: 'Day zero', target: { type: 'all' }, requiredProfileIds: [] }),
  );
  await audited('change it', 'esp.update', () =>
    as('PUT', `/api/v1/esp-policies/${esp.id}`, { name: 'Day zero 2', target: { type: 'all' }, requiredProfileIds: [] }),
  );
  await audited('delete it', 'esp.delete', () => as('DELETE', `/api/v1/esp-policies/${esp.id}`));
  await audited('set branding', 'settings.branding.set', () => as('PUT', '/api/v1/settings/branding', { helpPhoneNumber: '555 0100' }));
});
