// Hostile input to every device endpoint and to the admin API, over real HTTPS. Each refusal is
// checked for its exact status and for a body that says what is wrong; after the barrage the
// server is healthy and nothing was created.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { DISCOVER_RESPONSE_ACTION } from '../../src/protocol/mde2/discover.js';
import { RSTRC_ACTION } from '../../src/protocol/mde2/wstep.js';
import { GET_POLICIES_RESPONSE_ACTION } from '../../src/protocol/mde2/xcep.js';
import { MAX_SOAP_BYTES } from '../../src/protocol/soap.js';
import { childText, parseXml, path as xmlPath } from '../../src/protocol/xml.js';
import { discoverMessage, getPoliciesMessage, rstMessage } from '../../src/sim/enroll-messages.js';
import { readDiscoverResponse, readFault } from '../../src/sim/enroll-responses.js';
import type { HttpsResponse } from '../../src/sim/https-client.js';
import { newTestDevice } from '../helpers/device.js';
import { startTestServer } from '../helpers/server.js';

const D = '/EnrollmentServer/Discovery.svc';
const P = '/EnrollmentServer/Policy.svc';
const E = '/EnrollmentServer/Enrollment.svc';
const TOU = '/EnrollmentServer/TermsOfUse';

const ACCOUNT = { username: 'hostile-enroller', password: 'a long enough password' };
/** A fault must stay small whatever the input (no echo of the attack). */
const SMALL = 4096;

function billionLaughs(): string {
  let dtd = '<!ENTITY lol0 "lol">';
  for (let i = 1; i <= 9; i++) dtd += `<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`;
  return `<?xml version="1.0"?><!DOCTYPE lolz [${dtd}]>`;
}

t.test('hostile input', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const url = (p: string) => s.publicUrl + p;

  // Anything the server fetches while parsing (an external entity, a DTD) lands here.
  let outboundHits = 0;
  const canary = createServer((_req, res) => {
    outboundHits++;
    res.end('<!ENTITY leaked "secret">');
  });
  await new Promise<void>((resolve) => canary.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => canary.close(() => resolve())));
  const canaryUrl = `http://127.0.0.1:${(canary.address() as AddressInfo).port}/xxe`;

  await s.connectTenant();
  t.equal((await s.admin('POST', '/api/v1/enrollment-accounts', ACCOUNT)).status, 201);
  const cred = { kind: 'password' as const, ...ACCOUNT };
  const dev = newTestDevice();

  const endpoints = [
    { path: D, replyAction: DISCOVER_RESPONSE_ACTION, valid: () => discoverMessage(url(D), { email: 'user@contoso.com', authPolicies: ['Federated'] }) },
    { path: P, replyAction: GET_POLICIES_RESPONSE_ACTION, valid: () => getPoliciesMessage(url(P), cred) },
    {
      path: E,
      replyAction: RSTRC_ACTION,
      valid: () => rstMessage(url(E), cred, { requestType: 'Issue', tokenBase64: dev.csrBase64(), context: dev.context() }),
    },
  ];

  const soapRaw = (p: string, body: Buffer) => s.request(p, { method: 'POST', body, headers: { 'content-type': 'application/soap+xml; charset=utf-8' } });

  async function timed(p: Promise<HttpsResponse>): Promise<HttpsResponse & { ms: number }> {
    const t0 = Date.now();
    const r = await p;
    return Object.assign(r, { ms: Date.now() - t0 });
  }

  // ---- controls: the untouched messages are accepted (so every refusal below is caused by the mutation)
  await t.test('controls', async (t) => {
    for (const ep of endpoints) {
      const r = await s.soap(ep.path, ep.valid());
      t.equal(r.status, 200, `${ep.path}: the valid message is answered`);
    }
    const padded = endpoints[0].valid();
    const exact = padded + ' '.repeat(MAX_SOAP_BYTES - Buffer.byteLength(padded));
    t.equal(Buffer.byteLength(exact), MAX_SOAP_BYTES);
    const r = await s.soap(D, exact);
    t.equal(r.status, 200, 'a body of exactly 256 KiB is still read');
    t.equal(readDiscoverResponse(r.text()).authPolicy, 'Federated');
  });

  const devicesBefore = (await s.admin('GET', '/api/v1/devices')).json.total;
  t.equal(devicesBefore, 1, 'the control enrollment recorded one device');

  await t.test('SOAP endpoints', async (t) => {
    const expectFault = (r: HttpsResponse, replyAction: string, name: string, want: { subcode: string; reason: RegExp; relatesTo?: string }) => {
      t.equal(r.status, 500, `${name}: HTTP 500`);
      t.match(r.headers['content-type'], /^application\/soap\+xml; charset=utf-8$/, `${name}: SOAP content type`);
      t.equal(r.headers['x-fenestra-outcome'], want.subcode, `${name}: outcome header`);
      const f = readFault(r.text());
      t.equal(f?.subcode, want.subcode, `${name}: ${want.subcode}`);
      t.match(f?.reason, want.reason, `${name}: the reason says what is wrong`);
      t.equal(f?.relatesTo, want.relatesTo, `${name}: RelatesTo ${want.relatesTo ?? 'absent'}`);
      t.equal(childText(xmlPath(parseXml(r.text()), 'Envelope', 'Header'), 'Action'), replyAction, `${name}: reply action of this endpoint`);
      t.ok(r.body.length < SMALL, `${name}: small answer (${r.body.length} bytes)`);
      t.notMatch(r.text(), /root:|secret|lollol/, `${name}: nothing expanded or leaked`);
    };

    for (const ep of endpoints) {
      const valid = ep.valid();
      const msgId = /<a:MessageID>([^<]+)</.exec(valid)![1];
      const name = (what: string) => `${ep.path} ${what}`;
      const head = valid.slice(0, valid.indexOf('<s:Body>'));

      // DOCTYPE with an external entity: refused before any resolution.
      const xxeFile = `<?xml version="1.0"?><!DOCTYPE s:Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` + valid.replace('<s:Body>', '<s:Body>&xxe;');
      expectFault(await s.soap(ep.path, xxeFile), ep.replyAction, name('XXE file:///etc/passwd'), {
        subcode: 's:MessageFormat',
        reason: /DOCTYPE and entity declarations are not accepted/,
      });
      const xxeHttp = `<!DOCTYPE s:Envelope [<!ENTITY % remote SYSTEM "${canaryUrl}"> %remote;]>` + valid;
      expectFault(await s.soap(ep.path, xxeHttp), ep.replyAction, name('XXE parameter entity over http'), {
        subcode: 's:MessageFormat',
        reason: /DOCTYPE and entity declarations are not accepted/,
      });
      const externalDtd = `<!DOCTYPE s:Envelope SYSTEM "${canaryUrl}">` + valid;
      expectFault(await s.soap(ep.path, externalDtd), ep.replyAction, name('external DTD'), {
        subcode: 's:MessageFormat',
        reason: /DOCTYPE and entity declarations are not accepted/,
      });
      const bareDoctype = `<!DOCTYPE s:Envelope>` + valid;
      expectFault(await s.soap(ep.path, bareDoctype), ep.replyAction, name('DOCTYPE without entities'), {
        subcode: 's:MessageFormat',
        reason: /DOCTYPE and entity declarations are not accepted/,
      });

      // Billion laughs: must not expand — small and fast.
      const bomb = await timed(s.soap(ep.path, billionLaughs() + valid.replace('<s:Body>', '<s:Body>&lol9;')));
      expectFault(bomb, ep.replyAction, name('billion laughs'), {
        subcode: 's:MessageFormat',
        reason: /DOCTYPE and entity declarations are not accepted/,
      });
      t.ok(bomb.ms < 1000, `${name('billion laughs')}: answered in ${bomb.ms} ms`);

      // Oversized body: refused by the body limit with a message, not parsed.
      const big = await timed(s.soap(ep.path, valid + ' '.repeat(MAX_SOAP_BYTES + 1 - Buffer.byteLength(valid))));
      t.equal(big.status, 413, `${name('256 KiB + 1 byte')}: 413`);
      t.equal(big.text(), 'request body too large\n', `${name('256 KiB + 1 byte')}: says why`);
      const huge = await soapRaw(ep.path, Buffer.alloc(1024 * 1024, 0x20));
      t.equal(huge.status, 413, `${name('1 MiB')}: 413`);
      t.match(huge.text(), /too large/);

      // 5000 levels of nesting, inside a valid envelope and as a whole document.
      const deep = `${head}<s:Body>${'<x>'.repeat(5000)}${'</x>'.repeat(5000)}</s:Body></s:Envelope>`;
      expectFault(await s.soap(ep.path, deep), ep.replyAction, name('5000 levels in Body'), {
        subcode: 's:MessageFormat',
        reason: /nesting deeper than 24 levels/,
      });
      expectFault(await s.soap(ep.path, '<a>'.repeat(5000) + '</a>'.repeat(5000)), ep.replyAction, name('5000 levels'), {
        subcode: 's:MessageFormat',
        reason: /nesting deeper than 24 levels/,
      });
      expectFault(await s.soap(ep.path, '<a>'.repeat(5000)), ep.replyAction, name('5000 unclosed levels'), {
        subcode: 's:MessageFormat',
        reason: /nesting deeper than 24 levels/,
      });

      // Truncated: the first half of an otherwise valid message; and one missing only its last '>'.
      expectFault(await s.soap(ep.path, valid.slice(0, Math.floor(valid.length / 2))), ep.replyAction, name('truncated in half'), {
        subcode: 's:MessageFormat',
        reason: /not acceptable XML: malformed XML/,
      });
      expectFault(await s.soap(ep.path, valid.slice(0, -1)), ep.replyAction, name('last byte cut'), {
        subcode: 's:MessageFormat',
        reason: /not acceptable XML: malformed XML/,
      });

      // Garbage bytes and text that is not XML.
      const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) % 256));
      expectFault(await soapRaw(ep.path, garbage), ep.replyAction, name('garbage bytes'), {
        subcode: 's:MessageFormat',
        reason: /not acceptable XML/,
      });
      expectFault(await soapRaw(ep.path, Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1])), ep.replyAction, name('invalid UTF-8 only'), {
        subcode: 's:MessageFormat',
        reason: /not acceptable XML/,
      });
      expectFault(await s.soap(ep.path, 'hello, world'), ep.replyAction, name('plain text'), {
        subcode: 's:MessageFormat',
        reason: /not acceptable XML: malformed XML/,
      });
      expectFault(await s.soap(ep.path, '<Envelope><Body><x/></Body></Envelope>'.replace(/Envelope/g, 'Envelop')), ep.replyAction, name('not an envelope'), {
        subcode: 's:MessageFormat',
        reason: /not a SOAP envelope/,
      });
      expectFault(await s.soap(ep.path, '   \r\n\t  '), ep.replyAction, name('whitespace only'), {
        subcode: 's:MessageFormat',
        reason: /empty XML body/,
      });

      // Empty body and non-SOAP content types: plain-text answers that say what is wrong.
      const empty = await s.soap(ep.path, '');
      t.equal(empty.status, 400, `${name('empty body')}: 400`);
      t.equal(empty.text(), 'A SOAP envelope is required in the request body\n');
      const json = await s.request(ep.path, { method: 'POST', body: '{"Envelope":{}}', headers: { 'content-type': 'application/json' } });
      t.equal(json.status, 415, `${name('JSON body')}: 415`);
      t.equal(json.text(), 'Content-Type "application/json" is not accepted on this endpoint\n');
      const text = await s.request(ep.path, { method: 'POST', body: valid, headers: { 'content-type': 'text/plain' } });
      t.equal(text.status, 415, `${name('text/plain body')}: 415`);
      t.equal(text.text(), 'Content-Type "text/plain" is not accepted on this endpoint\n');
      const none = await s.request(ep.path, { method: 'POST', body: valid });
      t.equal(none.status, 415, `${name('no Content-Type')}: 415`);
      t.match(none.text(), /Content-Type "" is not accepted/);

      // A valid envelope with the action of another endpoint.
      for (const other of endpoints.filter((o) => o !== ep)) {
        const msg = other.valid();
        const otherId = /<a:MessageID>([^<]+)</.exec(msg)![1];
        expectFault(await s.soap(ep.path, msg), ep.replyAction, name(`with the action of ${other.path}`), {
          subcode: 's:MessageFormat',
          reason: /This endpoint does not serve the action http:\/\/schemas\.microsoft\.com\//,
          relatesTo: otherId,
        });
      }
      const bogusAction = valid.replace(/(<a:Action[^>]*>)[^<]+/, `$1urn:evil:${'x'.repeat(5000)}`);
      const ba = await s.soap(ep.path, bogusAction);
      expectFault(ba, ep.replyAction, name('5000-character bogus action'), {
        subcode: 's:MessageFormat',
        reason: /does not serve the action urn:evil:x+$/,
        relatesTo: msgId,
      });
      t.ok(readFault(ba.text())!.reason.length < 300, `${name('bogus action')}: the echoed action is cut short`);

      // WS-Addressing MessageID: missing, empty, 10 000 characters.
      const noId = valid.replace(/<a:MessageID>[^<]*<\/a:MessageID>/, '');
      expectFault(await s.soap(ep.path, noId), ep.replyAction, name('missing MessageID'), {
        subcode: 's:MessageFormat',
        reason: /MessageID header is missing/,
      });
      expectFault(await s.soap(ep.path, valid.replace(/<a:MessageID>[^<]*</, '<a:MessageID><')), ep.replyAction, name('empty MessageID'), {
        subcode: 's:MessageFormat',
        reason: /MessageID header is missing/,
      });
      const longId = `urn:uuid:${'7'.repeat(10_000 - 9)}`;
      t.equal(longId.length, 10_000);
      const long = await s.soap(ep.path, valid.replace(/<a:MessageID>[^<]*</, `<a:MessageID>${longId}<`));
      expectFault(long, ep.replyAction, name('10 000-character MessageID'), {
        subcode: 's:MessageFormat',
        reason: /MessageID is too long/,
      });
      t.notOk(long.text().includes('7777777777'), `${name('10 000-character MessageID')}: not echoed`);
    }
  });

  await t.test('invalid UTF-8 inside an otherwise valid Discover', async (t) => {
    const [before, after] = endpoints[0].valid().split('user@contoso.com');
    const body = Buffer.concat([Buffer.from(before), Buffer.from([0x75, 0xc3, 0x28, 0xff, 0x40, 0x63, 0x2e, 0x63, 0x6f]), Buffer.from(after)]);
    const r = await soapRaw(D, body);
    t.equal(r.status, 500, 'refused');
    t.equal(r.headers['x-fenestra-outcome'], 's:MessageFormat', 'MessageFormat');
    t.match(readFault(r.text())?.reason, /not acceptable XML: malformed XML/, 'not silently repaired into U+FFFD');
  });

  t.equal(outboundHits, 0, 'no entity or DTD was ever fetched');

  await t.test('Terms of Use', async (t) => {
    const html = /^text\/html; charset=utf-8$/;
    const xxe = `<?xml version="1.0"?><!DOCTYPE a [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><a>&xxe;</a>`;
    const check = (r: HttpsResponse, status: number, message: RegExp, name: string) => {
      t.equal(r.status, status, `${name}: ${status}`);
      t.match(r.headers['content-type'], html, `${name}: an HTML error page`);
      t.match(r.text(), message, `${name}: says what is wrong`);
      t.equal(r.headers['x-content-type-options'], 'nosniff', `${name}: security headers on errors`);
      t.notMatch(r.text(), /root:|lollol/, `${name}: nothing expanded`);
    };
    // GET: the body is never read; the query is what counts.
    check(
      await s.request(TOU, { method: 'GET', body: xxe, headers: { 'content-type': 'application/xml' } }),
      400,
      /The redirect_uri parameter is missing/,
      'GET with an XXE body',
    );
    check(
      await s.request(TOU, { method: 'GET', body: billionLaughs() + '<a>&lol9;</a>', headers: { 'content-type': 'application/soap+xml' } }),
      400,
      /The redirect_uri parameter is missing/,
      'GET with a billion-laughs body',
    );
    check(
      await s.request(`${TOU}?redirect_uri=${encodeURIComponent('javascript:alert(1)')}`),
      400,
      /not an allowed Windows redirect target/,
      'GET with a javascript: redirect_uri',
    );
    const longQuery = await s.request(`${TOU}?redirect_uri=${'x'.repeat(20_000)}`);
    t.equal(longQuery.status, 431, 'GET with a 20 kB query: 431 Request Header Fields Too Large');

    // POST: form bodies only, 8 KiB.
    const form = 'application/x-www-form-urlencoded';
    check(
      await s.request(TOU, { method: 'POST', body: xxe, headers: { 'content-type': 'application/xml' } }),
      415,
      /Unsupported content type: send application\/x-www-form-urlencoded/,
      'POST XXE as XML',
    );
    check(
      await s.request(TOU, { method: 'POST', body: billionLaughs(), headers: { 'content-type': 'application/soap+xml' } }),
      415,
      /Unsupported content type/,
      'POST billion laughs',
    );
    check(
      await s.request(TOU, { method: 'POST', body: '{"state":"x"}', headers: { 'content-type': 'application/json' } }),
      415,
      /Unsupported content type/,
      'POST JSON',
    );
    check(
      await s.request(TOU, { method: 'POST', body: 'state=x', headers: { 'content-type': 'text/plain' } }),
      415,
      /Unsupported content type/,
      'POST text/plain',
    );
    check(
      await s.request(TOU, { method: 'POST', body: `state=${'x'.repeat(8 * 1024)}`, headers: { 'content-type': form } }),
      413,
      /The request body is too large/,
      'POST 8 KiB form',
    );
    check(
      await s.request(TOU, { method: 'POST', body: `state=${'x'.repeat(300 * 1024)}`, headers: { 'content-type': form } }),
      413,
      /too large/,
      'POST 300 KiB form',
    );
    check(await s.request(TOU, { method: 'POST', body: '', headers: { 'content-type': form } }), 400, /The form is missing its state/, 'POST empty');
    check(
      await s.request(TOU, { method: 'POST', body: `state=${encodeURIComponent(xxe)}`, headers: { 'content-type': form } }),
      400,
      /The form state is invalid/,
      'POST XXE as the state',
    );
    check(
      await s.request(TOU, { method: 'POST', body: `state=${encodeURIComponent('['.repeat(2500))}&decision=accept`, headers: { 'content-type': form } }),
      400,
      /The form state is invalid/,
      'POST deeply nested state',
    );
    check(
      await s.request(TOU, { method: 'POST', body: Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x3d, 0x26]), headers: { 'content-type': form } }),
      400,
      /The form is missing its state/,
      'POST garbage bytes',
    );
    check(
      await s.request(TOU, { method: 'POST', body: 'state=a&state=b', headers: { 'content-type': form } }),
      400,
      /The form is missing its state/,
      'POST repeated state',
    );
  });

  await t.test('admin API', async (t) => {
    const auth = { authorization: `Bearer ${s.adminToken}` };
    const post = (p: string, body: string | Buffer, headers: Record<string, string> = {}) =>
      s.request(p, { method: 'POST', body, headers: { ...auth, 'content-type': 'application/json', ...headers } });

    const badJson = await post('/api/v1/tenants', '{"tenantId": "x", ');
    t.equal(badJson.status, 400, 'invalid JSON: 400');
    t.match(JSON.parse(badJson.text()), { error: { code: String, message: /not valid JSON/ } });
    const trailing = await post('/api/v1/tenants', '{} {}');
    t.equal(trailing.status, 400, 'two JSON documents: 400');
    const garbage = await post('/api/v1/tenants', Buffer.from([0xff, 0xfe, 0x7b, 0x7d]));
    t.equal(garbage.status, 400, 'garbage bytes: 400');

    const big = await post('/api/v1/tenants', JSON.stringify({ tenantId: 'x'.repeat(2 * 1024 * 1024) }));
    t.equal(big.status, 413, '2 MB JSON: 413');
    t.match(JSON.parse(big.text()), { error: { code: 'too_large', message: /^body exceeds \d+ bytes$/ } }, 'the limit of that route, stated');

    const xml = await post('/api/v1/tenants', `<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>`, { 'content-type': 'application/xml' });
    t.equal(xml.status, 415, 'XML to the admin API: 415');
    t.equal(JSON.parse(xml.text()).error.code, 'unsupported_media_type');
    t.match(JSON.parse(xml.text()).error.message, /Content-Type "application\/xml" is not accepted/);

    const guid = '0b0d1c6e-8d3f-4c1e-9a54-3e5e0f6a7b11';
    const tenant = { tenantId: guid, cloud: 'standard', audiences: ['https://mdm.contoso.com'] };
    const wrongTypes: [string, string, unknown, string][] = [
      ['POST', '/api/v1/tenants', { ...tenant, tenantId: {} }, '/tenantId'],
      ['POST', '/api/v1/tenants', { ...tenant, tenantId: [] }, '/tenantId'],
      ['POST', '/api/v1/tenants', { ...tenant, cloud: 7 }, '/cloud'],
      ['POST', '/api/v1/tenants', { ...tenant, audiences: {} }, '/audiences'],
      ['POST', '/api/v1/tenants', { ...tenant, audiences: [{}] }, '/audiences/0'],
      ['POST', '/api/v1/tenants', { ...tenant, audiences: ['https://a.example', ['x', 'y']] }, '/audiences/1'],
      ['POST', '/api/v1/tenants', { ...tenant, enrollmentUrl: {} }, '/enrollmentUrl'],
      ['POST', '/api/v1/tenants', { ...tenant, audiences: undefined }, '/audiences'],
      ['POST', '/api/v1/enrollment-accounts', { username: { a: 1 }, password: 'long enough pw' }, '/username'],
      ['POST', '/api/v1/enrollment-accounts', { username: 'someone', password: [] }, '/password'],
      ['GET', '/api/v1/devices?limit=abc', undefined, '/limit'],
      ['GET', '/api/v1/devices?offset=-1', undefined, '/offset'],
    ];
    for (const [method, p, body, pointer] of wrongTypes) {
      const r = await s.admin(method, p, body);
      t.equal(r.status, 400, `${method} ${p} ${JSON.stringify(body)}: 400`);
      t.equal(r.json.error.code, 'invalid');
      t.equal(r.json.error.pointer, pointer, `pointer ${pointer}`);
      t.match(r.json.error.message, /must|required/, 'the message says what is expected');
    }
    const notObject = await s.admin('POST', '/api/v1/tenants', [tenant]);
    t.equal(notObject.status, 400, 'an array instead of an object: 400');
    t.match(notObject.json.error.message, /must be object/);

    // JSON bodies are not type-coerced: a string where an array belongs, a number where a string belongs.
    const coerced: [string, string, unknown, string][] = [
      ['POST', '/api/v1/tenants', { ...tenant, tenantId: 'ae9e4c1c-0000-4000-8000-000000000001', audiences: 'https://mdm.contoso.com' }, '/audiences'],
      ['POST', '/api/v1/tenants', { ...tenant, tenantId: 12345 }, '/tenantId'],
      ['POST', '/api/v1/enrollment-accounts', { username: 'coerced', password: 123456789 }, '/password'],
      ['POST', '/api/v1/enrollment-accounts', { username: ['coerced2'], password: 'long enough pw' }, '/username'],
      ['PATCH', `/api/v1/tenants/${guid}`, { audiences: 'https://mdm.contoso.com' }, '/audiences'],
    ];
    for (const [method, p, body, pointer] of coerced) {
      const r = await s.admin(method, p, body);
      t.equal(r.status, 400, `${method} ${p} ${JSON.stringify(body)}: 400`);
      t.equal(r.json?.error?.pointer, pointer, `pointer ${pointer}`);
      t.match(r.json?.error?.message, /must be (string|array)/, 'says which type is expected');
    }
    const accountsNow = (await s.admin('GET', '/api/v1/enrollment-accounts')).json.map((a: { username: string }) => a.username);
    t.notOk(accountsNow.includes('coerced') || accountsNow.includes('coerced2'), 'no account created from a coerced body');

    const unknownFields: [string, string, unknown][] = [
      ['POST', '/api/v1/tenants', { ...tenant, isAdmin: true }],
      ['POST', '/api/v1/enrollment-accounts', { username: 'x1', password: 'long enough pw', isAdmin: true }],
      ['PATCH', `/api/v1/tenants/${guid}`, { isAdmin: true }],
    ];
    for (const [method, p, body] of unknownFields) {
      const r = await s.admin(method, p, body);
      t.equal(r.status, 400, `${method} ${p} unknown field: 400`);
      t.equal(r.json.error.pointer, '/isAdmin', 'pointer names the unknown field');
      t.match(r.json.error.message, /must NOT have additional properties/);
    }

    // Authentication: nothing is read without the token.
    const unauth: [string, Record<string, string>][] = [
      ['missing token', {}],
      ['wrong token', { authorization: 'Bearer not-the-admin-token-at-all' }],
      ['token with a different last character', { authorization: `Bearer ${s.adminToken.slice(0, -1)}${s.adminToken.endsWith('A') ? 'B' : 'A'}` }],
      ['Basic scheme', { authorization: `Basic ${Buffer.from(`admin:${s.adminToken}`).toString('base64')}` }],
      ['token without scheme', { authorization: s.adminToken }],
      ['token twice', { authorization: `Bearer ${s.adminToken} ${s.adminToken}` }],
    ];
    for (const [name, headers] of unauth) {
      for (const [method, p] of [
        ['GET', '/api/v1/tenants'],
        ['GET', '/api/v1/devices'],
        ['POST', '/api/v1/enrollment-accounts'],
      ]) {
        const r = await s.request(p, {
          method,
          headers: { ...headers, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
          body: method === 'POST' ? JSON.stringify({ username: 'intruder', password: 'long enough pw' }) : undefined,
        });
        t.equal(r.status, 401, `${name} ${method} ${p}: 401`);
        t.equal(r.headers['www-authenticate'], 'Bearer realm="fenestra-admin"', `${name}: WWW-Authenticate`);
        t.same(JSON.parse(r.text()), { error: { code: 'unauthorized', message: 'a valid admin bearer token is required' } });
      }
    }
    const unauthBig = await s.request('/api/v1/tenants', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ x: 'y'.repeat(2 * 1024 * 1024) }),
    });
    t.equal(unauthBig.status, 401, 'an unauthenticated 2 MB body is refused for the token first');
    const accounts = (await s.admin('GET', '/api/v1/enrollment-accounts')).json;
    t.notOk(
      accounts.some((a: { username: string }) => a.username === 'intruder'),
      'no account created without the token',
    );
    t.notOk(
      accounts.some((a: { username: string }) => a.username === 'x1'),
      'no account created with an unknown field',
    );
    t.equal(
      (await s.admin('GET', '/api/v1/tenants')).json.filter((x: { tenantId: string }) => x.tenantId === guid).length,
      0,
      'no tenant created by a refused request',
    );
  });

  await t.test('after the barrage', async (t) => {
    const health = await s.request('/healthz');
    t.equal(health.status, 200);
    t.same(JSON.parse(health.text()), { status: 'ok' });
    t.equal((await s.request('/readyz')).status, 200);
    t.equal((await s.admin('GET', '/api/v1/devices')).json.total, devicesBefore, 'no device was created');
    t.equal(outboundHits, 0, 'still no outbound fetch');
    const again = await s.soap(D, endpoints[0].valid());
    t.equal(again.status, 200, 'discovery still answers');
  });
});
