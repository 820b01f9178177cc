// The admin API's audit log takes the console's filters too: actor part, action family, target,
// and a time range given as ISO dates or instants in any offset (a bad one is a 400 naming it).
import t from 'tap';
import { startTestServer } from '../helpers/server.js';

const s = await startTestServer();
t.teardown(() => s.close());

t.test('filters', async (t) => {
  const tenantId = await s.connectTenant();
  t.equal((await s.admin('POST', '/api/v1/groups', { name: 'Audit me', kind: 'user' })).status, 201);
  t.equal((await s.admin('PATCH', `/api/v1/tenants/${tenantId}`, { remediationUrl: 'https://fix.contoso.com/' })).status, 200);

  const actions = async (q: string) => {
    const r = await s.admin('GET', `/api/v1/audit?${q}`);
    t.equal(r.status, 200, q);
    return (r.json.entries as { action: string }[]).map((e) => e.action);
  };

  t.same(await actions('action=tenant'), ['tenant.change', 'tenant.connect'], 'an action family');
  t.same(await actions(`targetType=tenant&targetId=${tenantId}&action=tenant.connect`), ['tenant.connect'], 'one target, one action');
  t.same(await actions('actor=BREAK-GLASS&action=group'), ['group.create'], 'actor: a part, any case');
  t.same(await actions('actor=nobody'), [], 'no such actor');
  const now = Date.now();
  t.same(await actions(`action=tenant&from=${new Date(now - 3_600_000).toISOString()}`), ['tenant.change', 'tenant.connect'], 'from an hour ago');
  t.same(
    await actions(`action=tenant&to=${encodeURIComponent(new Date(now - 3_600_000).toISOString().replace('Z', '+00:00'))}`),
    [],
    'to an hour ago, in another notation',
  );
  t.same(await actions('action=tenant&from=2020-01-01&to=2020-01-02'), [], 'a day long ago');

  const bad = await s.admin('GET', '/api/v1/audit?from=yesterday-ish');
  t.equal(bad.status, 400);
  t.match(bad.json.error.message, /^from is an ISO 8601 date/, 'names the parameter');
});
