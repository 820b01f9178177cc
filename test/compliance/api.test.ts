// The compliance policies' admin API on a real server: CRUD and assignments, bad input answered
// with a 4xx naming the field, each change audited with the person.
import t from 'tap';
import { startTestServer } from '../helpers/server.js';

t.test('compliance policies API', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const bad = async (method: string, p: string, body: unknown, status: number, pointer?: RegExp) => {
    const r = await s.admin(method, p, body);
    t.equal(r.status, status, `${method} ${p} ${JSON.stringify(body)}: ${JSON.stringify(r.json)}`);
    if (pointer) t.match(JSON.stringify(r.json), pointer);
  };
  await bad('POST', '/api/v1/compliance-policies', { name: 'x', rules: { minOsBuild: 'eleven' } }, 400, /minOsBuild/);
  await bad('POST', '/api/v1/compliance-policies', { name: 'x', rules: { minTpmVersion: 'two' } }, 400, /minTpmVersion/);
  await bad('POST', '/api/v1/compliance-policies', { name: 'x', rules: { firewal: true } }, 400, /firewal/);
  await bad('POST', '/api/v1/compliance-policies', { name: 'x', rules: {} }, 400, /rules/);
  await bad('POST', '/api/v1/compliance-policies', { name: 'x', rules: { firewall: false } }, 400, /at least one rule/);
  await bad('POST', '/api/v1/compliance-policies', { name: 'x', rules: { firewall: true }, graceHours: -1 }, 400, /graceHours/);
  await bad('POST', '/api/v1/compliance-policies', { rules: { firewall: true } }, 400, /name/);
  await bad('POST', '/api/v1/compliance-policies', { name: '  ', rules: { firewall: true } }, 400, /name/);
  await bad('POST', '/api/v1/compliance-policies', { name: 'x', rules: { maxDaysSinceCheckIn: 0 } }, 400, /maxDaysSinceCheckIn/);

  const r = await s.admin('POST', '/api/v1/compliance-policies', { name: 'Baseline', rules: { minOsBuild: '10.0.22631', bitLocker: true }, graceHours: 72 });
  t.equal(r.status, 201);
  t.match(r.json, { name: 'Baseline', rules: { minOsBuild: '10.0.22631', bitLocker: true }, graceHours: 72, version: 1 });
  const id = r.json.id;
  t.same(
    (await s.admin('GET', '/api/v1/compliance-policies')).json.policies.map((p: any) => p.id),
    [id],
  );
  await bad('PATCH', `/api/v1/compliance-policies/${id}`, {}, 400);
  await bad('PATCH', '/api/v1/compliance-policies/nope', { name: 'y' }, 404);
  const p = await s.admin('PATCH', `/api/v1/compliance-policies/${id}`, { rules: { firewall: true } });
  t.match(p.json, { version: 2, rules: { firewall: true }, graceHours: 72 });
  t.notOk('bitLocker' in p.json.rules, 'rules replaced as a whole');

  await bad('POST', `/api/v1/compliance-policies/${id}/assignments`, { targetType: 'device', targetId: 'no-such-device' }, 400, /targetId/);
  await bad('POST', `/api/v1/compliance-policies/${id}/assignments`, { targetType: 'all', targetId: 'x' }, 400, /targetId/);
  await bad('POST', `/api/v1/compliance-policies/${id}/assignments`, { targetType: 'user', targetId: 'not a user' }, 400, /targetId/);
  await bad('POST', `/api/v1/compliance-policies/${id}/assignments`, { targetType: 'planet' }, 400, /targetType/);
  await bad('POST', '/api/v1/compliance-policies/nope/assignments', { targetType: 'all' }, 404);
  t.equal((await s.admin('POST', `/api/v1/compliance-policies/${id}/assignments`, { targetType: 'user', targetId: 'Alice@Contoso.com' })).status, 201);
  await bad('POST', `/api/v1/compliance-policies/${id}/assignments`, { targetType: 'user', targetId: 'alice@contoso.com' }, 409);
  const detail = (await s.admin('GET', `/api/v1/compliance-policies/${id}`)).json;
  t.match(detail.assignments, [{ targetType: 'user', targetId: 'alice@contoso.com' }]);
  t.equal((await s.admin('DELETE', `/api/v1/compliance-policies/${id}/assignments`, { targetType: 'user', targetId: 'alice@contoso.com' })).status, 204);
  await bad('DELETE', `/api/v1/compliance-policies/${id}/assignments`, { targetType: 'user', targetId: 'alice@contoso.com' }, 404);
  await bad('GET', '/api/v1/devices/nope/compliance', undefined, 404);
  t.equal((await s.admin('DELETE', `/api/v1/compliance-policies/${id}`)).status, 204);
  await bad('GET', `/api/v1/compliance-policies/${id}`, undefined, 404);

  const audit = (await s.admin('GET', '/api/v1/audit?action=compliance-policy')).json;
  const entries = (audit.entries ?? audit) as any[];
  t.same(entries.map((e) => e.action).reverse(), [
    'compliance-policy.create',
    'compliance-policy.update',
    'compliance-policy.assign',
    'compliance-policy.unassign',
    'compliance-policy.delete',
  ]);
  t.ok(
    entries.every((e) => e.actor && e.targetId === id),
    'each with who did it',
  );
});
