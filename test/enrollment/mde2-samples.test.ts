// Microsoft's published MS-MDE2 / Learn samples (fixtures/mde2, copied byte for byte from the
// shared fixture set; see its README) against a real server: the request samples are POSTed to
// their endpoints as published, and the provisioning documents are read as a device would.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { XmlError } from '../../src/protocol/xml.js';
import { readDiscoverResponse, readFault, readProvisioningDoc, readRelatesTo } from '../../src/sim/enroll-responses.js';
import { startTestServer } from '../helpers/server.js';

const D = '/EnrollmentServer/Discovery.svc';
const P = '/EnrollmentServer/Policy.svc';
const E = '/EnrollmentServer/Enrollment.svc';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'mde2');
const sample = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
/** The sample's MessageID as the server must echo it: trimmed, otherwise verbatim (the spec samples carry "urn:uuid: …"). */
const messageIdOf = (xml: string) => /<a:MessageID>([^<]*)<\/a:MessageID>/.exec(xml)![1].trim();

const DISCOVER_SAMPLE_ID = 'urn:uuid: 748132ec-a575-4329-b01b-6171a9cf8478';

t.test('published request samples against a real server', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());

  await t.test('the fixtures are the published bytes', async (t) => {
    const readme = sample('README.md');
    t.match(readme, /NOT WELL-FORMED/, 'README copied along');
    t.equal(messageIdOf(sample('mde2-4.1.1.1-discover-request-federated.xml')), DISCOVER_SAMPLE_ID, 'MessageID with the published space');
  });

  await t.test('discovery before anything is configured: nothing to offer → NotSupported', async (t) => {
    const r = await s.soap(D, sample('mde2-4.1.1.1-discover-request-federated.xml'));
    t.equal(r.status, 500);
    const f = readFault(r.text());
    t.equal(f?.subcode, 's:Authorization');
    t.equal(f?.errorType, 'NotSupported');
    t.equal(f?.relatesTo, DISCOVER_SAMPLE_ID);
  });

  await s.connectTenant();
  const acct = await s.admin('POST', '/api/v1/enrollment-accounts', { username: 'enroller', password: 'correct horse battery' });
  t.equal(acct.status, 201, 'on-premises enrollment account created');

  t.test('discover samples', async (t) => {
    const cases: { file: string; policy?: string; version?: string; errorType?: string }[] = [
      { file: 'mde2-4.1.1.1-discover-request-federated.xml', policy: 'Federated', version: '5.0' },
      { file: 'mde2-4.1.1.3-discover-request-onpremise.xml', policy: 'OnPremise', version: '3.0' },
      // OnPremise and Federated offered while on-premises accounts exist: the user is asked for a password.
      { file: 'docs-federated-discover-request.xml', policy: 'OnPremise', version: '3.0' },
      // We do not offer Certificate authentication.
      { file: 'mde2-4.1.1.2-discover-request-certificate.xml', errorType: 'NotSupported' },
    ];
    for (const c of cases) {
      const xml = sample(c.file);
      const r = await s.soap(D, xml);
      t.equal(readRelatesTo(r.text()), messageIdOf(xml), `${c.file}: RelatesTo echoes the sample's MessageID`);
      t.equal(readRelatesTo(r.text()), DISCOVER_SAMPLE_ID, `${c.file}: verbatim, inner space kept`);
      if (c.policy) {
        t.equal(r.status, 200, `${c.file}: answered`);
        t.match(r.headers['content-type'], /^application\/soap\+xml/);
        t.match(
          r.text(),
          /<a:Action s:mustUnderstand="1">http:\/\/schemas\.microsoft\.com\/windows\/management\/2012\/01\/enrollment\/IDiscoveryService\/DiscoverResponse<\/a:Action>/,
        );
        const d = readDiscoverResponse(r.text());
        t.equal(d.authPolicy, c.policy, `${c.file}: AuthPolicy ${c.policy}`);
        t.equal(d.enrollmentVersion, c.version, `${c.file}: EnrollmentVersion follows the RequestVersion`);
        t.equal(d.policyUrl, s.publicUrl + P);
        t.equal(d.enrollmentUrl, s.publicUrl + E);
        if (c.policy === 'Federated')
          t.equal(d.authenticationUrl, `${s.publicUrl}/EnrollmentServer/Authenticate`, 'Federated names an AuthenticationServiceUrl');
        else t.equal(d.authenticationUrl, undefined, 'no AuthenticationServiceUrl for OnPremise');
      } else {
        t.equal(r.status, 500, `${c.file}: a fault`);
        const f = readFault(r.text());
        t.equal(f?.subcode, 's:Authorization', `${c.file}: s:Authorization`);
        t.equal(f?.errorType, c.errorType, `${c.file}: errortype ${c.errorType}`);
        t.match(f?.reason, /Certificate/, 'the reason names the offered policy');
        t.notMatch(r.text(), /DiscoverResponse>/, 'no DiscoverResult');
      }
    }
  });

  t.test('a published response posted as a request is refused', async (t) => {
    const r = await s.soap(D, sample('mde2-4.1.2.1-discover-response-federated.xml'));
    t.equal(r.status, 500);
    const f = readFault(r.text());
    t.equal(f?.subcode, 's:MessageFormat');
    t.match(f?.reason, /MessageID header is missing/, 'a response carries RelatesTo, not MessageID');
    // The published response itself is readable by the simulator's reader.
    const d = readDiscoverResponse(sample('mde2-4.1.2.1-discover-response-federated.xml'));
    t.same(d, {
      authPolicy: 'Federated',
      enrollmentVersion: '5.0',
      policyUrl: 'https://enrolltest.contoso.com/ENROLLMENTSERVER/DEVICEENROLLMENTWEBSERVICE.SVC',
      enrollmentUrl: 'https://enrolltest.contoso.com/ENROLLMENTSERVER/DEVICEENROLLMENTWEBSERVICE.SVC',
      authenticationUrl: 'https://portal.manage.contoso.com/LoginRedirect.aspx',
    });
  });

  // The GetPolicies and RST samples carry Microsoft's placeholders ("B64EncodedSampleBinarySecurityToken",
  // "DER format PKCS#10 … Insterted Here"): each must be a clean MS-MDE2 fault, never InternalServiceFault.
  const refusals: { file: string; endpoint: string; subcode: string; reason: RegExp; why: string }[] = [
    {
      file: 'mde2-4.2.1.1-getpolicies-request-federated.xml',
      endpoint: P,
      subcode: 's:Authentication',
      reason: /Entra token was refused \(malformed\)/,
      why: 'the DeviceEnrollmentUserToken placeholder is not a JWT',
    },
    {
      file: 'mde2-4.2.1.2-getpolicies-request-certificate.xml',
      endpoint: P,
      subcode: 'a:InvalidSecurity',
      reason: /Unsupported BinarySecurityToken ValueType/,
      why: 'X509v3 security tokens (certificate auth) are not accepted',
    },
    {
      file: 'mde2-4.2.1.3-getpolicies-request-onpremise.xml',
      endpoint: P,
      subcode: 's:Authentication',
      reason: /username or password is not valid/,
      why: 'user@contoso.com is not an enrollment account (yet)',
    },
    // parseRstRequest runs before authentication: the placeholder CSR text is not base64.
    ...[
      'mde2-4.3.1.1-rst-request-federated.xml',
      'mde2-4.3.1.2-rst-request-federated-azure-attestation.xml',
      'mde2-4.3.1.3-rst-request-certificate.xml',
      'mde2-4.3.1.4-rst-request-onpremise.xml',
    ].map((file) => ({
      file,
      endpoint: E,
      subcode: 's:MessageFormat',
      reason: /BinarySecurityToken is not base64/,
      why: 'the PKCS#10 placeholder is not base64',
    })),
    {
      file: 'docs-renewal-rst-request.xml',
      endpoint: E,
      subcode: 's:Authentication',
      reason: /renewal request signature was refused/,
      why: '"BinarySecurityTokenInsertedHere" is base64 but not a PKCS#7',
    },
  ];

  t.test('GetPolicies and RST samples are refused with clean faults', async (t) => {
    const before = (await s.admin('GET', '/api/v1/devices')).json.total;
    for (const c of refusals) {
      const xml = sample(c.file);
      const r = await s.soap(c.endpoint, xml);
      const f = readFault(r.text());
      t.equal(r.status, 500, `${c.file}: HTTP 500 fault`);
      t.not(f?.subcode, 'a:InternalServiceFault', `${c.file}: not an internal error`);
      t.equal(f?.subcode, c.subcode, `${c.file}: ${c.subcode} (${c.why})`);
      t.match(f?.reason, c.reason, `${c.file}: the reason says why`);
      t.equal(f?.relatesTo, messageIdOf(xml), `${c.file}: RelatesTo the sample's MessageID`);
      t.equal(r.headers['x-fenestra-outcome'], c.subcode);
    }
    t.equal((await s.admin('GET', '/api/v1/devices')).json.total, before, 'no device recorded');
  });

  t.test('the on-premises samples with a matching account', async (t) => {
    const a = await s.admin('POST', '/api/v1/enrollment-accounts', { username: 'user@contoso.com', password: 'mypassword' });
    t.equal(a.status, 201);
    t.teardown(() => s.admin('DELETE', '/api/v1/enrollment-accounts/user@contoso.com'));
    const gp = sample('mde2-4.2.1.3-getpolicies-request-onpremise.xml');
    const r = await s.soap(P, gp);
    t.equal(r.status, 200, 'the published GetPolicies is answered once its credentials are valid');
    t.match(r.text(), /<GetPoliciesResponse xmlns="http:\/\/schemas\.microsoft\.com\/windows\/pki\/2009\/01\/enrollmentpolicy"/);
    t.match(r.text(), /<minimalKeyLength>2048<\/minimalKeyLength>/);
    t.equal(readRelatesTo(r.text()), 'urn:uuid:72048B64-0F19-448F-8C2E-B4C661860AA0');
    // The RST still carries the CSR placeholder: refused before the credentials matter.
    const rst = await s.soap(E, sample('mde2-4.3.1.4-rst-request-onpremise.xml'));
    t.equal(readFault(rst.text())?.subcode, 's:MessageFormat');
    // With a base64 (but meaningless) CSR the credentials are checked first, then the CSR.
    const fakeCsr = Buffer.from('not a certificate request').toString('base64');
    // (The sample's Password is pretty-printed as "mypassword" + newline; send the exact password.)
    const withB64 = sample('mde2-4.3.1.4-rst-request-onpremise.xml')
      .replace('DER format PKCS#10 certificate request in Base64 encoding Insterted Here', fakeCsr)
      .replace(/>mypassword\s*</, '>mypassword<');
    const f = readFault((await s.soap(E, withB64)).text());
    t.equal(f?.subcode, 's:CertificateRequest', 'valid credentials, unparsable CSR → CertificateRequest');
    const wrongPw = readFault((await s.soap(E, withB64.replace('>mypassword', '>wrongpassword'))).text());
    t.equal(wrongPw?.subcode, 's:Authentication', 'wrong password → Authentication before the CSR is looked at');
    const federated = sample('mde2-4.3.1.1-rst-request-federated.xml').replace(
      'DER format PKCS#10 certificate request in Base64 encoding Insterted Here',
      fakeCsr,
    );
    t.equal(readFault((await s.soap(E, federated)).text())?.subcode, 's:Authentication', 'federated placeholder token → Authentication');
  });

  t.test('the not-well-formed samples are MessageFormat faults', async (t) => {
    for (const file of [
      'mde2-2.2.9.1-provisioningdoc-user-context.xml',
      'mde2-2.2.9.1-provisioningdoc-device-context.xml',
      'docs-unenroll-userrequest-pkg1.xml',
    ]) {
      for (const endpoint of [D, P, E]) {
        const r = await s.soap(endpoint, sample(file));
        t.equal(r.status, 500, `${file} → ${endpoint}: 500`);
        const f = readFault(r.text());
        t.equal(f?.subcode, 's:MessageFormat', `${file} → ${endpoint}: MessageFormat`);
        // The provisioning docs' only defect is a raw '&' in an attribute value.
        t.match(f?.reason, /not acceptable XML: malformed XML/, `${file}: the reason says malformed`);
        t.equal(f?.relatesTo, undefined, 'nothing to relate to');
      }
    }
  });
});

t.test('published provisioning documents through readProvisioningDoc', async (t) => {
  t.test('user context (fixed)', async (t) => {
    const p = readProvisioningDoc(sample('mde2-2.2.9.1-provisioningdoc-user-context.fixed.xml'));
    t.same(p.root, { thumbprint: '031336C933CC7E228B88880D78824FB2909A0A2F', base64: 'B64 encoded cert insert here' });
    t.same(p.client, { thumbprint: 'F9A4F20FC50D990FDD0E3DB9AFCBF401818D5462', base64: 'B64EncodedCertInsertedHere', store: 'User' });
    t.same(p.renew, { ROBOSupport: 'true', RenewPeriod: '60', RetryInterval: '4' });
    t.equal(p.application.APPID, 'w7');
    t.equal(p.application['PROVIDER-ID'], 'TestMDMServer');
    t.equal(p.application.ADDR, 'https://DM.contoso.com:443/omadm/Windows.ashx');
    t.equal(p.application.DEFAULTENCODING, 'application/vnd.syncml.dm+wbxml');
    t.equal(p.application.BACKCOMPATRETRYDISABLED, '', 'valueless parm');
    t.equal(p.application.SSLCLIENTCERTSEARCHCRITERIA, 'Subject=DC%3dcom%2cDC%3dmicrosoft%2cCN%3dUsers%2cCN%3dAdministrator&Stores=My%5CUser', '&amp; decoded');
    t.same(
      p.appAuth.map((a) => [a.AAUTHLEVEL, a.AAUTHTYPE, a.AAUTHSECRET]),
      [
        ['CLIENT', 'DIGEST', 'password1'],
        ['APPSRV', 'BASIC', 'password2'],
      ],
    );
    t.equal(p.appAuth[1].AAUTHNAME, 'testclient');
    t.equal(p.dmClient['@id'], 'TestMDMServer', 'DMClient provider id matches PROVIDER-ID');
    t.equal(p.dmClient.UPN, 'UserPrincipalName@domain.com');
    t.equal(p.dmClient.EntDeviceName, 'Administrator_Windows');
    t.same(p.poll, {
      NumberOfFirstRetries: '8',
      IntervalForFirstSetOfRetries: '15',
      NumberOfSecondRetries: '5',
      IntervalForSecondSetOfRetries: '3',
      NumberOfRemainingScheduledRetries: '0',
      IntervalForRemainingScheduledRetries: '1560',
      PollOnLogin: 'true',
    });
  });

  t.test('device context (fixed): client certificate in My/System', async (t) => {
    const p = readProvisioningDoc(sample('mde2-2.2.9.1-provisioningdoc-device-context.fixed.xml'));
    t.equal(p.client?.store, 'System');
    t.equal(p.client?.thumbprint, 'F9A4F20FC50D990FDD0E3DB9AFCBF401818D5462');
    t.equal(p.root?.thumbprint, '031336C933CC7E228B88880D78824FB2909A0A2F');
    t.equal(p.renew?.RenewPeriod, '60');
    t.equal(p.dmClient['@id'], 'TestMDMServer');
  });

  t.test('renewal provisioning doc (Learn)', async (t) => {
    const p = readProvisioningDoc(sample('docs-renewal-provisioningdoc.xml'));
    t.equal(p.root?.thumbprint.trim(), 'EncodedRootCertHashInsertedHere');
    t.equal(p.root?.base64, 'EncodedCertInsertedHere');
    t.same(p.client, { thumbprint: 'EncodedClientCertHashInsertedHere', base64: 'EncodedCertInsertedHere', store: 'User' });
    t.equal(p.renew, undefined, 'no WSTEP/Renew in a renewal answer');
    t.same(p.application, { 'PROVIDER-ID': 'TestMDMServer' });
    t.same(p.appAuth, []);
    t.same(p.dmClient, {});
    t.same(p.poll, {});
  });

  t.test('the published (not well-formed) provisioning docs are refused, not half-read', async (t) => {
    for (const file of ['mde2-2.2.9.1-provisioningdoc-user-context.xml', 'mde2-2.2.9.1-provisioningdoc-device-context.xml']) {
      let reason: string | undefined;
      try {
        readProvisioningDoc(sample(file));
      } catch (err) {
        reason = err instanceof XmlError ? err.reason : String(err);
      }
      t.equal(reason, 'malformed', `${file}: XmlError malformed`);
    }
  });
});
