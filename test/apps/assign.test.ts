// Deploying an app (POST /api/v1/apps/:id/assignments) against a real server: a refused
// assignment leaves no profile behind — the app's profile for (intent, scope) is made for an
// assignment that is accepted, or not kept.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { buildMsix } from '../helpers/packages.js';
import { startTestServer } from '../helpers/server.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-apps-assign-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const msix = await buildMsix(dir, { name: 'Contoso.Paint', publisher: 'CN=Contoso Ltd, O=Contoso, C=US', version: '1.2.0.0', displayName: 'Contoso Paint' });

t.test('a refused assignment leaves no profile; an accepted one makes it once', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const up = await s.request('/api/v1/apps/packages?fileName=paint.msix', {
    connectTo: { host: '127.0.0.1', port: s.server.adminPort ?? s.server.port },
    method: 'POST',
    headers: { authorization: `Bearer ${s.adminToken}`, 'content-type': 'application/octet-stream' },
    body: fs.readFileSync(msix.file),
  });
  t.equal(up.status, 201, up.text());
  const id = JSON.parse(up.text()).app.id as string;
  const appProfiles = async () => (await s.server.store.profiles.list()).filter((p) => p.kind === 'app');

  const noDevice = await s.admin('POST', `/api/v1/apps/${id}/assignments`, { targetType: 'device', targetId: 'no-such-device', intent: 'install' });
  t.equal(noDevice.status, 400, 'an unknown device: 400');
  t.match(noDevice.json.error, { pointer: '/targetId' });
  const noGroup = await s.admin('POST', `/api/v1/apps/${id}/assignments`, {
    targetType: 'group',
    targetId: crypto.randomUUID(),
    intent: 'install',
    scope: 'device',
  });
  t.equal(noGroup.status, 400, 'an unknown group: 400');
  const badType = await s.admin('POST', `/api/v1/apps/${id}/assignments`, { targetType: 'planet', intent: 'uninstall' });
  t.equal(badType.status, 400, 'an unknown target type: 400');
  t.same(await appProfiles(), [], 'no profile left behind by the refusals');
  t.same((await s.admin('GET', `/api/v1/apps/${id}`)).json.deployments, [], 'the app shows no deployment');

  const ok = await s.admin('POST', `/api/v1/apps/${id}/assignments`, { targetType: 'all', intent: 'install' });
  t.equal(ok.status, 201, 'an accepted assignment');
  const again = await s.admin('POST', `/api/v1/apps/${id}/assignments`, { targetType: 'all', intent: 'install' });
  t.equal(again.status, 409, 'the same assignment again: 409');
  const user = await s.admin('POST', `/api/v1/apps/${id}/assignments`, { targetType: 'user', targetId: 'alice@contoso.com', intent: 'install' });
  t.equal(user.status, 201, 'another target of the same (intent, scope)');
  t.equal(user.json.profileId, ok.json.profileId, '… takes the same profile');
  t.same(
    (await appProfiles()).map((p) => p.id),
    [ok.json.profileId],
    'one profile: a refusal does not remove the profile an earlier assignment made',
  );

  t.equal((await s.admin('DELETE', `/api/v1/apps/${id}/assignments`, { targetType: 'all', intent: 'install' })).status, 204);
  t.equal((await s.admin('DELETE', `/api/v1/apps/${id}/assignments`, { targetType: 'user', targetId: 'alice@contoso.com', intent: 'install' })).status, 204);
  const del = await s.admin('DELETE', `/api/v1/apps/${id}`);
  t.equal(del.status, 409, 'its profile (kept, unassigned) still deploys it');
  t.match(del.json.error.message, /deployed by 1 profile\(s\) \(Contoso Paint \(install, user\)\)/, 'naming that one profile only');
});
