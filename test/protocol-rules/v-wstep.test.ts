// MS-WSTEP / MS-MDE2 §3.4: the RequestSecurityToken a real server accepts or refuses, and the
// RSTRC and provisioning document it answers with, against the rules of spec-notes §D, checked
// with the specification's literal values (not the codec's constants).
import crypto from 'node:crypto';
import t, { type Test } from 'tap';
import { rstMessage } from '../../src/sim/enroll-messages.js';
import { readFault, readRstrProvisioning } from '../../src/sim/enroll-responses.js';
import { type XmlElement, attr, child, childText, children, parseXml, path, text } from '../../src/protocol/xml.js';
import { newTestDevice } from '../helpers/device.js';
import { AUDIENCE, startTestServer } from '../helpers/server.js';

const E = '/EnrollmentServer/Enrollment.svc';
const WST = 'http://docs.oasis-open.org/ws-sx/ws-trust/200512';
const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
const ENROLL = 'http://schemas.microsoft.com/windows/pki/2009/01/enrollment';
const DEVICE_ENROLLMENT_TOKEN = 'http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentToken';
const TOKEN_TYPE = `<wst:TokenType>${DEVICE_ENROLLMENT_TOKEN}</wst:TokenType>`;
const ISSUE = `<wst:RequestType>${WST}/Issue</wst:RequestType>`;

const chars = (el: XmlElement | undefined) => children(el, 'characteristic');
const byType = (el: XmlElement | undefined, type: string) => chars(el).find((c) => attr(c, 'type') === type);
/** A path of characteristic types, looked up in every CertificateStore characteristic of the document (the document has several). */
const inStores = (doc: XmlElement | undefined, ...types: string[]) =>
  chars(doc)
    .filter((c) => attr(c, 'type') === 'CertificateStore')
    .map((st) => types.reduce<XmlElement | undefined>((el, ty) => byType(el, ty), st))
    .filter((x): x is XmlElement => x !== undefined);

t.test('RST and RSTRC of a real server', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  /** A fresh device's Issue RST, with an Entra token for it. */
  const issue = async () => {
    const dev = newTestDevice();
    const jwt = await s.entra.mintToken({ tid, aud: AUDIENCE, deviceid: dev.entraDeviceId, upn: 'owner@contoso.com' });
    const xml = rstMessage(
      s.publicUrl + E,
      { kind: 'entra', jwt },
      { requestType: 'Issue', tokenBase64: dev.csrBase64(), context: dev.context([['EnrollmentType', 'Device']]) },
    );
    return { dev, xml };
  };
  const refused = async (t: Test, xml: string, what: string, field: RegExp) => {
    const r = await s.soap(E, xml);
    t.equal(r.status, 500, `${what}: HTTP 500 with a SOAP fault`);
    const f = readFault(r.text());
    t.equal(f?.subcode, 's:MessageFormat', `${what}: s:MessageFormat`);
    t.match(f?.reason, field, `${what}: the reason names the element`);
    t.notMatch(r.text(), /RequestSecurityTokenResponse/, `${what}: no token`);
  };

  t.test('rule 35: an RST without a wst:RequestType, or with an unknown one, gets a SOAP fault', async (t) => {
    const { xml } = await issue();
    t.ok(xml.includes(ISSUE), 'the simulator sends the RequestType this test replaces');
    await refused(t, xml.replace(ISSUE, ''), 'absent', /RequestType/);
    await refused(t, xml.replace(ISSUE, `<wst:RequestType>${WST}/Validate</wst:RequestType>`), 'Validate', /RequestType/);
    await refused(t, xml.replace(ISSUE, `<wst:RequestType>${WST}/issue</wst:RequestType>`), 'wrong case', /RequestType/);
    await refused(t, xml.replace(ISSUE, '<wst:RequestType></wst:RequestType>'), 'empty', /RequestType/);
  });

  t.test('rule 36: an RST without the CSR wsse:BinarySecurityToken gets a SOAP fault', async (t) => {
    const { xml } = await issue();
    const body = xml.slice(xml.indexOf('<s:Body>'));
    const bst = /<wsse:BinarySecurityToken ValueType="[^"]*#PKCS10"[^>]*>[^<]*<\/wsse:BinarySecurityToken>/.exec(body)?.[0];
    t.ok(bst, 'the simulator sends the PKCS#10 BinarySecurityToken this test removes');
    await refused(t, xml.replace(bst!, ''), 'absent', /BinarySecurityToken/);
  });

  t.test('rule 39: the CSR ValueType must be enrollment#PKCS10 (Issue) or secext#PKCS7 (Renew)', async (t) => {
    const { xml } = await issue();
    const vt = 'ValueType="http://schemas.microsoft.com/windows/pki/2009/01/enrollment#PKCS10"';
    t.ok(xml.includes(vt), 'the simulator sends the PKCS#10 ValueType');
    await refused(
      t,
      xml.replace(vt, 'ValueType="http://schemas.microsoft.com/windows/pki/2009/01/enrollment#X509"'),
      'another ValueType',
      /BinarySecurityToken/,
    );
  });

  t.test('rule 40: the RST TokenType must be DeviceEnrollmentToken', async (t) => {
    const { xml } = await issue();
    t.ok(xml.includes(TOKEN_TYPE), 'the simulator sends the TokenType this test replaces');
    await refused(t, xml.replace(TOKEN_TYPE, ''), 'absent', /TokenType/);
    await refused(t, xml.replace(TOKEN_TYPE, `<wst:TokenType>${WST}/SCT</wst:TokenType>`), 'another token type', /TokenType/);
  });

  const { dev, xml } = await issue();
  const r = await s.soap(E, xml);
  t.equal(r.status, 200, 'the unmodified RST is answered');
  const rstrc = r.text();
  const env = child(parseXml(rstrc), 'Envelope');
  const coll = path(env, 'Body', 'RequestSecurityTokenResponseCollection');
  const rstrs = children(coll, 'RequestSecurityTokenResponse');
  const rstr = rstrs[0];
  const prov = readRstrProvisioning(rstrc);
  const doc = child(parseXml(prov.xml), 'wap-provisioningdoc');

  t.test('rules 10 and 44: RSTRC a:Action is …/enrollment/RSTRC/wstep with s:mustUnderstand="1"', async (t) => {
    const action = child(child(env, 'Header'), 'Action');
    t.equal((text(action) ?? '').trim(), 'http://schemas.microsoft.com/windows/pki/2009/01/enrollment/RSTRC/wstep');
    t.equal(attr(action, 'mustUnderstand'), '1');
  });

  t.test('rule 41: RSTR TokenType is DeviceEnrollmentToken', async (t) => {
    t.equal(childText(rstr, 'TokenType'), 'http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentToken');
    t.equal(child(rstr, 'TokenType')?.['#ns'], WST, 'in the WS-Trust namespace');
  });

  t.test('rule 42: the RSTRC holds exactly one RequestSecurityTokenResponse', async (t) => {
    t.equal(coll?.['#ns'], WST, 'RequestSecurityTokenResponseCollection in the WS-Trust 1.3 namespace');
    t.equal(rstrs.length, 1);
    t.equal(rstrs[0]['#ns'], WST);
  });

  t.test('rule 43: RequestedSecurityToken/BinarySecurityToken is the base64 provisioning document', async (t) => {
    const bst = path(rstr, 'RequestedSecurityToken', 'BinarySecurityToken');
    t.equal(bst?.['#ns'], WSSE, 'a WS-Security BinarySecurityToken');
    t.equal(attr(bst, 'ValueType'), 'http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentProvisionDoc');
    t.equal(attr(bst, 'EncodingType'), 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd#base64binary');
    const b64 = (text(bst) ?? '').trim();
    t.match(b64, /^[A-Za-z0-9+/]+={0,2}$/, 'base64 only');
    const decoded = Buffer.from(b64, 'base64').toString('utf8');
    t.equal(Buffer.from(decoded, 'utf8').toString('base64'), b64, 'round-trips: the content is exactly that document');
    t.ok(child(parseXml(decoded), 'wap-provisioningdoc'), 'a wap-provisioningdoc');
  });

  t.test('rule 45: RequestID is present (enrollment namespace)', async (t) => {
    const id = child(rstr, 'RequestID');
    t.ok(id, 'RequestID present');
    t.equal(id?.['#ns'], ENROLL);
    t.ok(attr(id, 'nil') === 'true' || /^\d+$/.test((text(id) ?? '').trim()), 'nil or a request number');
  });

  t.test('rule 52: at most one root and one intermediate certificate in the enrollment document', async (t) => {
    const roots = inStores(doc, 'Root').flatMap((r) => chars(r).flatMap(chars));
    t.equal(roots.length, 1, 'one root certificate (Root/System)');
    t.equal(inStores(doc, 'Root', 'System').length, 1);
    t.ok(inStores(doc, 'CA').flatMap((c) => chars(c).flatMap(chars)).length <= 1, 'at most one intermediate (CA/System)');
  });

  t.test('rule 53: every EncodedCertificate is base64 DER without line breaks', async (t) => {
    const values = [...prov.xml.matchAll(/<parm name="EncodedCertificate" value="([^"]*)"/g)].map((m) => m[1]);
    t.ok(values.length >= 2, 'root and client certificates');
    for (const v of values) {
      t.notMatch(v, /[\r\n]|&#(10|13|xA|xD);/i, 'no embedded line breaks');
      t.match(v, /^[A-Za-z0-9+/]+={0,2}$/, 'base64 only');
      const der = Buffer.from(v, 'base64');
      t.equal(der[0], 0x30, 'DER, not PEM: a SEQUENCE');
      t.doesNotThrow(() => new crypto.X509Certificate(der), 'an X.509 certificate');
    }
    t.ok(new crypto.X509Certificate(Buffer.from(prov.client!.base64, 'base64')).publicKey.equals(dev.publicKey), "the client's is the CSR key's");
  });

  t.test('rule 58: RetryInterval is within 1–1000 and not above RenewPeriod', async (t) => {
    const [renew, ...more] = inStores(doc, 'My', 'WSTEP', 'Renew');
    t.equal(more.length, 0, 'one Renew characteristic');
    const p = Object.fromEntries(children(renew, 'parm').map((x) => [attr(x, 'name'), attr(x, 'value')]));
    const retry = Number(p.RetryInterval);
    const period = Number(p.RenewPeriod);
    t.ok(Number.isInteger(retry) && retry >= 1 && retry <= 1000, `RetryInterval ${p.RetryInterval}`);
    t.ok(Number.isInteger(period) && retry <= period, `RetryInterval ${retry} ≤ RenewPeriod ${p.RenewPeriod}`);
  });

  t.test('rule 46: a PrivateKeyContainer characteristic under the client certificate store', async (t) => {
    const sys = inStores(doc, 'My', 'System');
    t.equal(sys.length, 1, 'My/System for a Device enrollment');
    t.ok(byType(sys[0], 'PrivateKeyContainer'), 'My/System/PrivateKeyContainer');
  });

  const app = byType(doc, 'APPLICATION');
  const parmsOf = (el: XmlElement | undefined) => Object.fromEntries(children(el, 'parm').map((x) => [attr(x, 'name') ?? '', attr(x, 'value') ?? '']));
  const appAuth = chars(app).filter((c) => attr(c, 'type') === 'APPAUTH');

  t.test('rules 47 and 48: w7 APPLICATION parm names and characteristic types are upper-case; APPID is w7', async (t) => {
    t.ok(app, 'an APPLICATION characteristic');
    const names = [...children(app, 'parm'), ...appAuth.flatMap((a) => children(a, 'parm'))].map((x) => attr(x, 'name') ?? '');
    t.ok(names.length > 5);
    for (const n of names) t.equal(n, n.toUpperCase(), `parm ${n}`);
    for (const c of chars(app)) t.equal(attr(c, 'type'), attr(c, 'type')?.toUpperCase(), `characteristic ${attr(c, 'type')}`);
    t.equal(parmsOf(app).APPID, 'w7');
  });

  t.test('rules 49 and 50: both APPAUTH blocks, CLIENT and APPSRV; AAUTHLEVEL CLIENT has AAUTHTYPE DIGEST', async (t) => {
    t.same(appAuth.map((a) => parmsOf(a).AAUTHLEVEL).sort(), ['APPSRV', 'CLIENT']);
    t.equal(appAuth.map(parmsOf).find((a) => a.AAUTHLEVEL === 'CLIENT')?.AAUTHTYPE, 'DIGEST');
  });

  const dmc = byType(doc, 'DMClient');
  const providers = chars(byType(dmc, 'Provider'));

  t.test('rule 51: DMClient Provider/{id} is the w7 PROVIDER-ID', async (t) => {
    t.equal(providers.length, 1, 'one provider');
    t.ok(parmsOf(app)['PROVIDER-ID'], 'PROVIDER-ID set');
    t.equal(attr(providers[0], 'type'), parmsOf(app)['PROVIDER-ID']);
  });

  t.test('rule 54: certificate node names are the 40-hex SHA-1 thumbprints of their certificates', async (t) => {
    const certs = [
      ...inStores(doc, 'Root', 'System'),
      ...inStores(doc, 'CA', 'System'),
      ...inStores(doc, 'My', 'System'),
      ...inStores(doc, 'My', 'User'),
    ].flatMap((st) => chars(st).filter((c) => attr(c, 'type') !== 'PrivateKeyContainer'));
    t.ok(certs.length >= 2, 'root and client');
    for (const c of certs) {
      const der = Buffer.from(parmsOf(c).EncodedCertificate, 'base64');
      t.match(attr(c, 'type'), /^[0-9A-Fa-f]{40}$/, '40 hex digits');
      t.equal(attr(c, 'type')?.toLowerCase(), crypto.createHash('sha1').update(der).digest('hex'), 'the SHA-1 of the DER');
    }
  });

  t.test('rule 56: poll configuration — not all six parameters 0, not all retry counts 0, NumberOfFirstRetries ≠ 0', async (t) => {
    const poll = parmsOf(byType(providers[0], 'Poll'));
    const six = [
      'IntervalForFirstSetOfRetries',
      'NumberOfFirstRetries',
      'IntervalForSecondSetOfRetries',
      'NumberOfSecondRetries',
      'IntervalForRemainingScheduledRetries',
      'NumberOfRemainingScheduledRetries',
    ];
    const counts = ['NumberOfFirstRetries', 'NumberOfSecondRetries', 'NumberOfRemainingScheduledRetries'];
    for (const k of six) t.match(poll[k], /^\d+$/, `${k} = ${poll[k]}`);
    t.ok(
      six.some((k) => Number(poll[k]) !== 0),
      'not all six 0',
    );
    t.ok(
      counts.some((k) => Number(poll[k]) !== 0),
      'not all three counts 0',
    );
    t.not(Number(poll.NumberOfFirstRetries), 0, 'NumberOfFirstRetries is not 0');
  });

  t.test('rule 59: EntDMID is set by the enrollment document, before any renewal', async (t) => {
    const id = parmsOf(providers[0]).EntDMID;
    t.ok(id, 'EntDMID in the provisioning document');
    const record = await s.admin('GET', `/api/v1/devices/${id}`);
    t.equal(record.status, 200);
    t.equal(record.json.deviceId, dev.deviceId, "the server's record of this device");
  });

  t.test('rule 12: the RSTRC is not sent chunked (Content-Length)', async (t) => {
    t.not(r.headers['transfer-encoding'], 'chunked');
    t.equal(Number(r.headers['content-length']), r.body.length);
  });
});

t.test('rule 58: RetryInterval follows a short FENESTRA_RENEW_PERIOD_DAYS and stays ≤ RenewPeriod', async (t) => {
  const s = await startTestServer({ FENESTRA_RENEW_PERIOD_DAYS: '1' });
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const dev = newTestDevice();
  const jwt = await s.entra.mintToken({ tid, aud: AUDIENCE, deviceid: dev.entraDeviceId, upn: 'owner@contoso.com' });
  const r = await s.soap(
    E,
    rstMessage(
      s.publicUrl + E,
      { kind: 'entra', jwt },
      { requestType: 'Issue', tokenBase64: dev.csrBase64(), context: dev.context([['EnrollmentType', 'Device']]) },
    ),
  );
  t.equal(r.status, 200);
  const renew = readRstrProvisioning(r.text()).renew!;
  t.equal(renew.RenewPeriod, '1');
  const retry = Number(renew.RetryInterval);
  t.ok(retry >= 1 && retry <= 1, `RetryInterval ${renew.RetryInterval} within 1..RenewPeriod (1)`);
});

t.test('rule 55: the client certificate goes to My/User for EnrollmentType Full and to My/System for Device', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  for (const [type, store, other] of [
    ['Full', 'User', 'System'],
    ['Device', 'System', 'User'],
  ] as const) {
    const dev = newTestDevice();
    const jwt = await s.entra.mintToken({ tid, aud: AUDIENCE, deviceid: dev.entraDeviceId, upn: 'bob@contoso.com', preferred_username: 'bob@contoso.com' });
    const r = await s.soap(
      E,
      rstMessage(
        s.publicUrl + E,
        { kind: 'entra', jwt },
        { requestType: 'Issue', tokenBase64: dev.csrBase64(), context: dev.context([['EnrollmentType', type]]) },
      ),
    );
    t.equal(r.status, 200, `${type}: enrolled`);
    const doc = child(parseXml(readRstrProvisioning(r.text()).xml), 'wap-provisioningdoc');
    const mine = inStores(doc, 'My', store)
      .flatMap(chars)
      .filter((c) => attr(c, 'type') !== 'PrivateKeyContainer');
    t.equal(mine.length, 1, `${type}: the certificate in My/${store}`);
    t.equal(inStores(doc, 'My', other).flatMap(chars).length, 0, `${type}: nothing in My/${other}`);
    const app = byType(doc, 'APPLICATION');
    const crit = children(app, 'parm').find((x) => attr(x, 'name') === 'SSLCLIENTCERTSEARCHCRITERIA');
    t.match(attr(crit, 'value'), new RegExp(`&Stores=My%5C${store}$`), `${type}: the client searches My\\${store}`);
  }
});
