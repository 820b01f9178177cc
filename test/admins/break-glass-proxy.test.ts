// Review of issue #13: the break-glass token (FENESTRA_ADMIN_TOKEN) is audited as
// `break-glass@<client>`, the client counted as every route counts it (http/client-address.ts):
// behind a trusted proxy, the address it forwards rather than the proxy's own.
import t from 'tap';
import { startTestServer } from '../helpers/server.js';

t.test("behind a trusted proxy the break-glass token's audit actor is the forwarded client", async (t) => {
  const s = await startTestServer({ FENESTRA_TRUSTED_PROXIES: '127.0.0.1/32', FENESTRA_PROXY_CERT_FORMAT: 'nginx' });
  t.teardown(() => s.close());
  const headers = { authorization: `Bearer ${s.adminToken}`, 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.9, 203.0.113.7' };
  const r = await s.request('/api/v1/admins', {
    method: 'POST',
    headers,
    body: JSON.stringify({ username: 'via-proxy', role: 'read-only', password: 'correct horse battery staple' }),
  });
  t.equal(r.status, 201);
  const id = JSON.parse(r.text()).id as string;
  const entries = (await s.admin('GET', '/api/v1/audit?limit=20')).json.entries as { actor: string; action: string; targetId: string }[];
  const entry = entries.find((e) => e.action === 'admin.create' && e.targetId === id);
  t.equal(entry?.actor, 'break-glass@203.0.113.7', 'the nearest address the trusted proxy forwards, not the proxy (nor what the client claims before it)');
});
