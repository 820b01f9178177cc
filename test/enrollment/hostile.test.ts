import t from 'tap';
import { discoverMessage } from '../../src/sim/enroll-messages.js';
import { startTestServer } from '../helpers/server.js';

const D = '/EnrollmentServer/Discovery.svc';
t.test('probe', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const show = async (name: string, p: Promise<any>) => {
    const r = await p;
    console.log(name, r.status, r.headers['content-type'], r.text().slice(0, 600));
  };
  const ok = discoverMessage(s.publicUrl + D, { email: 'a@b.c', authPolicies: ['Federated'] });
  await show('xxe', s.soap(D, `<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` + ok));
  await show('big', s.soap(D, ok + ' '.repeat(300 * 1024)));
  await show('big-json', s.request('/api/v1/tenants', { method: 'POST', headers: { authorization: `Bearer ${s.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ a: 'x'.repeat(2 * 1024 * 1024) }) }));
  await show('deep', s.soap(D, '<a>'.repeat(5000) + '</a>'.repeat(5000)));
  await show('trunc', s.soap(D, ok.slice(0, ok.length / 2)));
  await show('garbage', s.soap(D, Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0xa0, 0xa1])));
  await show('empty', s.soap(D, ''));
  await show('json', s.request(D, { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } }));
  await show('text', s.request(D, { method: 'POST', body: ok, headers: { 'content-type': 'text/plain' } }));
  await show('nocontenttype', s.request(D, { method: 'POST', body: ok }));
  await show('tou-get-xxe', s.request('/EnrollmentServer/TermsOfUse?x=1', { method: 'GET' }));
  await show('tou-post-json', s.request('/EnrollmentServer/TermsOfUse', { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } }));
  await show('tou-post-big', s.request('/EnrollmentServer/TermsOfUse', { method: 'POST', body: 'a=' + 'x'.repeat(300 * 1024), headers: { 'content-type': 'application/x-www-form-urlencoded' } }));
  await show('tou-post-xml', s.request('/EnrollmentServer/TermsOfUse', { method: 'POST', body: `<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><a>&xxe;</a>`, headers: { 'content-type': 'application/soap+xml' } }));
  await show('tou-post-empty', s.request('/EnrollmentServer/TermsOfUse', { method: 'POST', body: '', headers: { 'content-type': 'application/x-www-form-urlencoded' } }));
  await show('admin-badjson', s.request('/api/v1/tenants', { method: 'POST', headers: { authorization: `Bearer ${s.adminToken}`, 'content-type': 'application/json' }, body: '{"a":' }));
  await show('admin-xml', s.request('/api/v1/tenants', { method: 'POST', headers: { authorization: `Bearer ${s.adminToken}`, 'content-type': 'application/xml' }, body: '<a/>' }));
  await show('admin-notoken', s.request('/api/v1/tenants'));
  await show('admin-types', s.admin('POST', '/api/v1/tenants', { tenantId: 5, cloud: 'standard', audiences: ['https://x'] }).then((r) => ({ status: r.status, headers: {}, text: () => JSON.stringify(r.json) })));
  await show('admin-types2', s.admin('POST', '/api/v1/tenants', { tenantId: 'ab', cloud: 'standard', audiences: 'x' }).then((r) => ({ status: r.status, headers: {}, text: () => JSON.stringify(r.json) })));
  await show('admin-unknown', s.admin('POST', '/api/v1/tenants', { tenantId: 'ab', cloud: 'standard', audiences: ['https://x'], evil: 1 }).then((r) => ({ status: r.status, headers: {}, text: () => JSON.stringify(r.json) })));
});
