// Every admin API route against every role below owner, from outside (bearer tokens of a
// read-only, a helpdesk and an admin administrator), driven by the route table itself
// (src/http/admin/permissions.ts) so that a route added later is probed too: a role without the
// route's capability never gets a 2xx and changes nothing (the audit log, which records every
// change, stays as it was); a route called without a body, or with one the schema accepts, is
// refused 403 naming the capability. The routes of session 8 (apps, ESP policies, branding, day
// zero) get valid bodies so that their refusal is the guard's, not the schema's.
import crypto from 'node:crypto';
import t from 'tap';
import { ROUTE_CAPABILITIES } from '../../src/http/admin/permissions.js';
import { type Capability, can } from '../../src/service/admins/capabilities.js';
import type { AdminRole } from '../../src/domain/admin.js';
import { startTestServer } from '../helpers/server.js';

const ID = crypto.randomUUID();
const SHA = 'a'.repeat(64);

/** Bodies the schemas accept (for the guard, not the handler, to answer). */
const BODIES: Record<string, unknown> = {
  'POST /api/v1/apps/public': { url: 'https://vendor.example/app.msi', sha256: SHA },
  'POST /api/v1/apps/office': { name: 'Office', configurationXml: '<Configuration><Add OfficeClientEdition="64"/></Configuration>' },
  'PATCH /api/v1/apps/:id': { name: 'renamed' },
  'PUT /api/v1/apps/:id/live': { versionId: ID },
  'POST /api/v1/apps/:id/assignments': { targetType: 'all', intent: 'install' },
  'DELETE /api/v1/apps/:id/assignments': { targetType: 'all', intent: 'install' },
  'POST /api/v1/esp-policies': { name: 'probe', target: { type: 'all' }, requiredProfileIds: [] },
  'PUT /api/v1/esp-policies/:id': { name: 'probe', target: { type: 'all' }, requiredProfileIds: [] },
  'PUT /api/v1/settings/branding': { helpPhoneNumber: '555 0100' },
  'POST /api/v1/devices/:id/commands': { action: 'wipe' },
  'POST /api/v1/profiles/:id/assignments': { targetType: 'all' },
  'DELETE /api/v1/profiles/:id/assignments': { targetType: 'all' },
  'POST /api/v1/compliance-policies/:id/assignments': { targetType: 'all' },
  'DELETE /api/v1/compliance-policies/:id/assignments': { targetType: 'all' },
};
/**
 * The least role each route of session 8 needs, written down here from docs/operations.md (apps
 * and ESP policies are written as profiles are: admin; branding is a setting: admin; reading is
 * for all), not read from the route table: a wrong entry there fails this test.
 */
const SESSION8: Record<string, AdminRole> = {
  'GET /api/v1/apps': 'read-only',
  'GET /api/v1/apps/:id': 'read-only',
  'GET /api/v1/apps/:id/status': 'read-only',
  'GET /api/v1/devices/:id/apps': 'read-only',
  'POST /api/v1/apps/packages': 'admin',
  'POST /api/v1/apps/public': 'admin',
  'POST /api/v1/apps/office': 'admin',
  'PATCH /api/v1/apps/:id': 'admin',
  'DELETE /api/v1/apps/:id': 'admin',
  'POST /api/v1/apps/:id/versions': 'admin',
  'PUT /api/v1/apps/:id/live': 'admin',
  'DELETE /api/v1/apps/:id/versions/:versionId': 'admin',
  'POST /api/v1/apps/:id/assignments': 'admin',
  'DELETE /api/v1/apps/:id/assignments': 'admin',
  'GET /api/v1/esp-policies': 'read-only',
  'GET /api/v1/esp-policies/:id': 'read-only',
  'POST /api/v1/esp-policies': 'admin',
  'PUT /api/v1/esp-policies/:id': 'admin',
  'DELETE /api/v1/esp-policies/:id': 'admin',
  'GET /api/v1/devices/:id/day-zero': 'read-only',
  'GET /api/v1/fleet/day-zero': 'read-only',
  'GET /api/v1/settings/branding': 'read-only',
  'PUT /api/v1/settings/branding': 'admin',
};
const ORDER: AdminRole[] = ['read-only', 'helpdesk', 'admin', 'owner'];

/** Routes whose body is the raw package. */
const RAW = new Set(['POST /api/v1/apps/packages', 'POST /api/v1/apps/:id/versions']);

t.test('each role below owner is refused every route it lacks the capability for', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tokens: Partial<Record<AdminRole, string>> = {};
  for (const role of ['read-only', 'helpdesk', 'admin'] as const) {
    const a = await s.admin('POST', '/api/v1/admins', { username: `probe-${role}`, role, password: 'correct horse battery staple' });
    t.equal(a.status, 201, `${role} administrator`);
    const tok = await s.admin('POST', '/api/v1/tokens', { name: `probe-${role}`, role, adminId: a.json.id });
    t.equal(tok.status, 201, `${role} token`);
    tokens[role] = tok.json.secret as string;
  }
  const auditHead = async () => JSON.stringify((await s.admin('GET', '/api/v1/audit?limit=5')).json);
  const before = await auditHead();

  const strict: string[] = [];
  for (const [key, rule] of Object.entries(ROUTE_CAPABILITIES)) {
    const [method, pattern] = key.split(' ');
    const path = pattern
      .replace(/:tenantId/g, ID)
      .replace(/:versionId|:commandId|:member/g, ID)
      .replace(/:id/g, ID);
    for (const role of ['read-only', 'helpdesk', 'admin'] as const) {
      const body = BODIES[key];
      const capability: Capability = typeof rule === 'function' ? rule({ body } as never) : rule;
      const least = SESSION8[key];
      if (least) t.equal(can({ role }, capability), ORDER.indexOf(role) >= ORDER.indexOf(least), `${role} ${key}: allowed only from ${least} on`);
      if (can({ role }, capability)) continue;
      const headers: Record<string, string> = { authorization: `Bearer ${tokens[role]}` };
      let payload: string | Buffer | undefined;
      if (RAW.has(key)) {
        headers['content-type'] = 'application/octet-stream';
        payload = Buffer.from('not a package');
      } else if (body !== undefined) {
        headers['content-type'] = 'application/json';
        payload = JSON.stringify(body);
      }
      const r = await s.request(path, { method, headers, body: payload });
      const what = `${role} ${key}`;
      t.ok(r.status >= 400, `${what}: refused (${r.status})`);
      // Without a body, with a valid one or a raw package: the guard answers, naming the capability.
      if (payload !== undefined || !['POST', 'PUT', 'PATCH'].includes(method)) {
        strict.push(what);
        t.equal(r.status, 403, `${what}: 403`);
        const json = JSON.parse(r.text() || '{}') as { error?: { code?: string; capability?: string } };
        t.equal(json.error?.capability, capability, `${what}: names ${capability}`);
      }
    }
  }
  for (const key of Object.keys(SESSION8)) t.ok(key in ROUTE_CAPABILITIES, `${key} is a route`);
  t.ok(strict.length > 60, `${strict.length} refusals checked to be the guard's`);
  t.equal(await auditHead(), before, 'no refused call changed anything (the audit log is as it was)');
});
