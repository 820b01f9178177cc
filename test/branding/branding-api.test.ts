// Branding API (#16): refusals name the field (schema and service rules) and store nothing; a
// valid set is read back, trimmed, with cleared fields left out, and audited with the admin; a
// read-only administrator reads it but cannot change it; PostgreSQL stores the same.
import t from 'tap';
import { startTestServer } from '../helpers/server.js';

const URL = '/api/v1/settings/branding';
const GOOD = {
  completePageTitle: '  Welcome to Contoso  ',
  completePageText: 'Line one\nLine two\ttabbed',
  completePageLinkHref: 'https://intranet.contoso.com/start',
  completePageLinkText: 'Start here',
  helpPhoneNumber: '+1 (425) 555-0100',
  helpWebsite: 'https://help.contoso.com',
  helpEmailAddress: 'help@contoso.com',
};

for (const database of ['sqlite', 'postgres'] as const) {
  t.test(database, async (t) => {
    const s = await startTestServer({}, { database });
    t.teardown(() => s.close());

    t.test('nothing set: an empty branding', async (t) => {
      const r = await s.admin('GET', URL);
      t.equal(r.status, 200);
      t.same(r.json, { branding: {} });
    });

    t.test('refusals name the field and store nothing', async (t) => {
      const cases: [string, Record<string, unknown>, string][] = [
        ['title too long', { completePageTitle: 'x'.repeat(101) }, '/completePageTitle'],
        ['title of 101 characters outside the BMP', { completePageTitle: '😀'.repeat(101) }, '/completePageTitle'],
        ['text too long', { completePageText: 'x'.repeat(1001) }, '/completePageText'],
        ['control character in the title', { completePageTitle: 'a\u0007b' }, '/completePageTitle'],
        ['line break in the link text', { completePageLinkHref: 'https://a.example', completePageLinkText: 'a\nb' }, '/completePageLinkText'],
        ['NUL in the body text', { completePageText: 'a\u0000b' }, '/completePageText'],
        ['http link', { completePageLinkHref: 'http://intranet.contoso.com' }, '/completePageLinkHref'],
        ['relative link', { completePageLinkHref: '/start' }, '/completePageLinkHref'],
        ['javascript link', { completePageLinkHref: 'javascript:alert(1)' }, '/completePageLinkHref'],
        ['credentials in the website', { helpWebsite: 'https://user:pw@help.contoso.com' }, '/helpWebsite'],
        ['link text without a link', { completePageLinkText: 'Start' }, '/completePageLinkHref'],
        ['not an e-mail address', { helpEmailAddress: 'help at contoso' }, '/helpEmailAddress'],
        ['e-mail with a display name', { helpEmailAddress: 'Help <help@contoso.com>' }, '/helpEmailAddress'],
        ['letters in the phone number', { helpPhoneNumber: 'call us' }, '/helpPhoneNumber'],
        ['too few digits', { helpPhoneNumber: '+1 2' }, '/helpPhoneNumber'],
        ['phone number too long', { helpPhoneNumber: '1'.repeat(33) }, '/helpPhoneNumber'],
        ['a number for a string', { helpPhoneNumber: 4255550100 }, '/helpPhoneNumber'],
        ['unknown field', { logo: 'x' }, '/logo'],
      ];
      for (const [name, body, pointer] of cases) {
        const r = await s.admin('PUT', URL, body);
        t.equal(r.status, 400, name);
        t.equal(r.json?.error?.pointer, pointer, `${name}: ${r.json?.error?.message}`);
      }
      const notJson = await s.admin('PUT', URL, '"a string"');
      t.equal(notJson.status, 400, 'a body that is no object');
      t.same((await s.admin('GET', URL)).json, { branding: {} }, 'nothing was stored');
    });

    t.test('set, read back, cleared fields left out, audited', async (t) => {
      const r = await s.admin('PUT', URL, GOOD);
      t.equal(r.status, 200, JSON.stringify(r.json));
      const want = { ...GOOD, completePageTitle: 'Welcome to Contoso' };
      t.same(r.json.branding, want, 'trimmed');
      t.same((await s.admin('GET', URL)).json.branding, want);
      t.ok((await s.admin('GET', URL)).json.updatedAt);
      const cleared = await s.admin('PUT', URL, { ...GOOD, helpWebsite: '', completePageLinkText: '   ' });
      t.equal(cleared.status, 200);
      t.same(Object.keys(cleared.json.branding).sort(), [
        'completePageLinkHref',
        'completePageText',
        'completePageTitle',
        'helpEmailAddress',
        'helpPhoneNumber',
      ]);
      const audit = (await s.admin('GET', '/api/v1/audit?limit=20')).json.entries.filter((x: any) => x.action === 'settings.branding.set');
      t.equal(audit.length, 2, 'each change audited');
      t.equal(audit[0].targetType, 'settings');
      t.equal(audit[0].targetId, 'branding');
      t.same(audit[1].detail.branding, want, 'with what was set');
    });

    t.test('a read-only administrator reads, cannot change', async (t) => {
      const ro = await s.admin('POST', '/api/v1/admins', { username: 'rose', role: 'read-only', password: 'correct horse battery' });
      t.equal(ro.status, 201);
      const tok = await s.admin('POST', '/api/v1/tokens', { name: 'monitoring', role: 'read-only', adminId: ro.json.id });
      t.equal(tok.status, 201, JSON.stringify(tok.json));
      const call = async (method: string, body?: unknown) => {
        const headers: Record<string, string> = { authorization: `Bearer ${tok.json.secret}` };
        if (body !== undefined) headers['content-type'] = 'application/json';
        const r = await s.request(URL, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
        return r.status;
      };
      t.equal(await call('GET'), 200);
      t.equal(await call('PUT', { helpPhoneNumber: '555 0100' }), 403);
      t.not((await s.admin('GET', URL)).json.branding.helpPhoneNumber, '555 0100', 'unchanged');
    });
  });
}
