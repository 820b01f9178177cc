// Pure codec tests (no server): the safe XML reader, SOAP envelopes and faults, MS-MDE2
// Discover, and the wap-provisioningdoc writer read back the way a device reads it.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { xsdErrorsEach } from '../helpers/xmllint.js';
import {
  DISCOVER_ACTION,
  MAX_ENROLLMENT_VERSION,
  buildDiscoverResponse,
  negotiateEnrollmentVersion,
  parseDiscoverRequest,
} from '../../src/protocol/mde2/discover.js';
import { MAX_SOAP_BYTES, NS, SoapFault, buildSoapEnvelope, buildSoapFault, parseSoapRequest } from '../../src/protocol/soap.js';
import { DEFAULT_POLL, buildProvisioningDoc, buildRenewalProvisioningDoc, searchCriteria, type ProvisioningDoc } from '../../src/protocol/wap.js';
import { XmlError, attr, child, childText, parseXml, path as xmlPath, text } from '../../src/protocol/xml.js';
import { esc } from '../../src/protocol/xml-write.js';
import { readDiscoverResponse, readFault, readProvisioningDoc } from '../../src/sim/enroll-responses.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The real Windows 10 Discover (a device capture; provenance in fixtures/fleet/README.md). */
const FLEET_DISCOVER = path.join(ROOT, 'fixtures', 'fleet', '01_discovery_request_device.xml');
/** Microsoft's MS-MDE2 discovery XSD (provenance in fixtures/schemas/README.md). */
const DISCOVERY_XSD = path.join(ROOT, 'fixtures', 'schemas', 'ms-mde2-discovery.xsd');

function xmlErrorReason(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof XmlError ? err.reason : `not an XmlError: ${String(err)}`;
  }
  return undefined;
}

function soapFaultOf(fn: () => unknown): SoapFault | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof SoapFault) return err;
    throw err;
  }
  return undefined;
}

const ENV_OPEN = `<s:Envelope xmlns:s="${NS.soap12}" xmlns:a="${NS.addressing}" xmlns:wsse="${NS.wsse}">`;
function envelope(o: { action?: string; messageId?: string | null; header?: string; body?: string } = {}): string {
  const action = o.action ?? DISCOVER_ACTION;
  const mid = o.messageId === null ? '' : `<a:MessageID>${o.messageId ?? 'urn:uuid:0c3a8f36-3a5d-4a36-9a55-2f9a6b3b9e11'}</a:MessageID>`;
  return (
    `${ENV_OPEN}<s:Header><a:Action s:mustUnderstand="1">${action}</a:Action>${mid}` +
    `<a:To s:mustUnderstand="1">https://mdm.example.com/EnrollmentServer/Discovery.svc</a:To>${o.header ?? ''}</s:Header>` +
    `<s:Body>${o.body ?? '<Discover xmlns="http://schemas.microsoft.com/windows/management/2012/01/enrollment"><request/></Discover>'}</s:Body></s:Envelope>`
  );
}

t.test('parseXml', async (t) => {
  t.test('DOCTYPE and entity declarations are refused', async (t) => {
    for (const [name, xml] of [
      ['external entity', '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>'],
      ['internal entity', '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'],
      ['parameter entity', '<!DOCTYPE a [<!ENTITY % p SYSTEM "http://127.0.0.1/x"> %p;]><a/>'],
      ['bare DOCTYPE', '<!DOCTYPE a><a/>'],
      ['lower-case doctype', '<!doctype a><a/>'],
      ['external DTD', '<!DOCTYPE a SYSTEM "http://127.0.0.1/a.dtd"><a/>'],
      ['ENTITY without DOCTYPE', '<a><!ENTITY x "y"></a>'],
    ] as const) {
      t.equal(
        xmlErrorReason(() => parseXml(xml)),
        'doctype',
        name,
      );
    }
    let lol = '<!ENTITY l0 "lol">';
    for (let i = 1; i <= 9; i++) lol += `<!ENTITY l${i} "${`&l${i - 1};`.repeat(10)}">`;
    const t0 = process.hrtime.bigint();
    t.throws(() => parseXml(`<!DOCTYPE a [${lol}]><a>&l9;</a>`), { reason: 'doctype', message: 'DOCTYPE and entity declarations are not accepted' });
    t.ok(Number(process.hrtime.bigint() - t0) / 1e6 < 100, 'billion laughs refused without expansion');
  });

  t.test('depth limit', async (t) => {
    const nest = (n: number) => '<a>'.repeat(n) + '</a>'.repeat(n);
    t.doesNotThrow(() => parseXml(nest(32)), '32 levels: the default limit');
    t.equal(
      xmlErrorReason(() => parseXml(nest(33))),
      'too_deep',
      '33 levels refused',
    );
    t.throws(() => parseXml(nest(33)), { message: 'XML nesting deeper than 32 levels' });
    t.doesNotThrow(() => parseXml(nest(5), { maxDepth: 5 }));
    t.equal(
      xmlErrorReason(() => parseXml(nest(6), { maxDepth: 5 })),
      'too_deep',
      'maxDepth option',
    );
    t.equal(
      xmlErrorReason(() => parseXml('<a>'.repeat(100_000))),
      'too_deep',
      '100 000 unclosed levels: depth, not a stack overflow',
    );
    t.equal(
      xmlErrorReason(() => parseXml(nest(5000))),
      'too_deep',
      '5000 levels',
    );
    t.doesNotThrow(() => parseXml(`<a>${'<b/>'.repeat(1000)}</a>`), 'self-closing siblings do not add depth');
    t.doesNotThrow(() => parseXml(`<a>${'<b></b>'.repeat(1000)}</a>`), 'closed siblings do not add depth');
    // Markup-looking text in comments, CDATA, attribute values and processing instructions is not nesting.
    const tricky = `<?pi <x><y><z>?><a><!-- <b><c><d> --><e x=">" y='>' z="/>"><![CDATA[<f><g><h>]]></e>1 &gt; 0 > -1</a>`;
    t.doesNotThrow(() => parseXml(tricky, { maxDepth: 2 }), 'comments, CDATA, quoted > and PIs do not count');
    t.equal(
      xmlErrorReason(() => parseXml(tricky, { maxDepth: 1 })),
      'too_deep',
      'but the two real levels do',
    );
    const e = xmlPath(parseXml(tricky, { maxDepth: 2 }), 'a', 'e');
    t.equal(attr(e, 'x'), '>', "quoted '>' kept in the attribute");
    t.equal(attr(e, 'z'), '/>', "quoted '/>' does not close the tag");
    t.equal(text(e), '<f><g><h>', 'CDATA kept as text');
  });

  t.test('malformed and empty input', async (t) => {
    const cases: [string, string | Buffer, string][] = [
      ['empty', '', 'empty'],
      ['whitespace', ' \r\n\t ', 'empty'],
      ['empty buffer', Buffer.alloc(0), 'empty'],
      ['truncated', '<a><b>text</b', 'malformed'],
      ['unclosed root', '<a><b/>', 'malformed'],
      ['mismatched tags', '<a><b></a></b>', 'malformed'],
      ['text only', 'hello', 'malformed'],
      ['unquoted attribute', '<a b=1/>', 'malformed'],
      ['duplicate attribute', '<a b="1" b="2"/>', 'malformed'],
      ['raw & in text', '<a>x & y</a>', 'malformed'],
      ['JSON', '{"a":1}', 'malformed'],
    ];
    for (const [name, input, reason] of cases)
      t.equal(
        xmlErrorReason(() => parseXml(input)),
        reason,
        name,
      );
    t.throws(() => parseXml('<a><b>'), { message: /^malformed XML/ }, 'the message says malformed');
    t.equal(
      xmlErrorReason(() => parseXml('<a/>'.padEnd(2000, ' '), { maxBytes: 1000 })),
      'too_large',
      'maxBytes',
    );
    t.throws(() => parseXml(Buffer.alloc(2000, 0x20), { maxBytes: 1000 }), { message: 'XML body of 2000 bytes exceeds the 1000-byte limit' });

    const notWellFormed: [string, string][] = [
      ['raw & in an attribute', '<a b="x&y"/>'],
      ['undeclared entity', '<a>&xxe;</a>'],
      ['character reference to NUL', '<a>&#0;</a>'],
      ['control character', '<a>\u0001</a>'],
      ['< in an attribute', '<a b="<"/>'],
      ['two root elements', '<a/><b/>'],
    ];
    for (const [name, xml] of notWellFormed) {
      t.equal(
        xmlErrorReason(() => parseXml(xml)),
        'malformed',
        `${name} is not well-formed`,
      );
    }
    const badUtf8 = Buffer.concat([Buffer.from('<a>'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('</a>')]);
    t.equal(
      xmlErrorReason(() => parseXml(badUtf8)),
      'malformed',
      'invalid UTF-8 is not well-formed',
    );
  });

  t.test('BOM, entities, namespaces, CDATA', async (t) => {
    t.equal(childText(child(parseXml('\ufeff<a><b>x</b></a>'), 'a'), 'b'), 'x', 'string with BOM');
    const bomBuf = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<a><b>y</b></a>')]);
    t.equal(childText(child(parseXml(bomBuf), 'a'), 'b'), 'y', 'UTF-8 BOM bytes');
    t.equal(childText(child(parseXml('<?xml version="1.0" encoding="utf-8"?><a><b>z</b></a>'), 'a'), 'b'), 'z', 'XML declaration');

    const doc = parseXml(`<a q="&amp;&lt;&gt;&quot;&apos;"><b>&amp;lt; &amp; &lt;tag&gt; &quot;x&quot; &apos;y&apos;</b></a>`);
    const a = child(doc, 'a');
    t.equal(childText(a, 'b'), `&lt; & <tag> "x" 'y'`, 'predefined entities decoded once in text');
    t.equal(attr(a, 'q'), `&<>"'`, 'and in attributes');
    const refs = child(parseXml('<a b="&#65;">&#x42;&#67;</a>'), 'a');
    t.equal(text(refs)?.trim(), 'BC', 'numeric character references decoded in text');
    t.equal(attr(refs, 'b'), 'A', 'and in attributes');

    const ns = parseXml(`<s:Envelope xmlns:s="${NS.soap12}"><s:Body><x:Y xmlns:x="urn:x" x:attr="1">t</x:Y></s:Body></s:Envelope>`);
    const y = xmlPath(ns, 'Envelope', 'Body', 'Y');
    t.ok(y, 'elements keyed by local name');
    t.equal(attr(y, 'attr'), '1', 'attributes keyed by local name');
    t.equal(childText(xmlPath(ns, 'Envelope', 'Body'), 'Y'), 't');
    const cdata = child(parseXml('<a><![CDATA[<b>&amp;</b>]]></a>'), 'a');
    t.equal(text(cdata), '<b>&amp;</b>', 'CDATA is text, not markup, and not entity-decoded');
    t.notOk(child(cdata, 'b'), 'no element from CDATA');
    const commented = child(parseXml('<a><!-- <b/> --><c/></a>'), 'a');
    t.notOk(child(commented, 'b'), 'no element from a comment');
    t.ok(child(commented, 'c'));
  });
});

t.test('parseSoapRequest', async (t) => {
  t.test('a well-formed Discover', async (t) => {
    const req = parseSoapRequest(Buffer.from(envelope()));
    t.equal(req.action, DISCOVER_ACTION);
    t.equal(req.messageId, 'urn:uuid:0c3a8f36-3a5d-4a36-9a55-2f9a6b3b9e11');
    t.equal(req.to, 'https://mdm.example.com/EnrollmentServer/Discovery.svc');
    t.equal(req.bodyName, 'Discover');
    t.ok(child(req.body, 'request'));
    t.equal(req.usernameToken, undefined);
    t.equal(req.securityToken, undefined);
    const spaced = parseSoapRequest(envelope({ action: `\n   ${DISCOVER_ACTION}\n`, messageId: '  urn:uuid: 1 ' }));
    t.equal(spaced.action, DISCOVER_ACTION, 'action trimmed (the spec samples break lines)');
    t.equal(spaced.messageId, 'urn:uuid: 1', 'MessageID trimmed, inner space kept');
  });

  t.test('WS-Security tokens', async (t) => {
    const ut = (pw: string, type = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText') =>
      `<wsse:Security><wsse:UsernameToken><wsse:Username>alice</wsse:Username><wsse:Password wsse:Type="${type}">${pw}</wsse:Password></wsse:UsernameToken></wsse:Security>`;
    const r = parseSoapRequest(envelope({ header: ut('p&amp;ss&lt;word') }));
    t.same(r.usernameToken, {
      username: 'alice',
      password: 'p&ss<word',
      passwordType: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText',
    });
    const digest = soapFaultOf(() =>
      parseSoapRequest(envelope({ header: ut('x', 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest') })),
    );
    t.equal(digest?.subcode, 'a:InvalidSecurity', 'PasswordDigest refused');
    const noPw = soapFaultOf(() =>
      parseSoapRequest(envelope({ header: '<wsse:Security><wsse:UsernameToken><wsse:Username>alice</wsse:Username></wsse:UsernameToken></wsse:Security>' })),
    );
    t.equal(noPw?.subcode, 'a:InvalidSecurity', 'UsernameToken without Password');
    const bst = `<wsse:BinarySecurityToken ValueType=" urn:ietf:params:oauth:token-type:jwt " EncodingType="${NS.wsse}#base64binary">\n  ZXlK\n</wsse:BinarySecurityToken>`;
    const b = parseSoapRequest(envelope({ header: `<wsse:Security>${bst}</wsse:Security>` }));
    t.same(b.securityToken, { valueType: 'urn:ietf:params:oauth:token-type:jwt', encodingType: `${NS.wsse}#base64binary`, value: 'ZXlK' });
    const two = soapFaultOf(() => parseSoapRequest(envelope({ header: `<wsse:Security>${bst}${bst}</wsse:Security>` })));
    t.equal(two?.subcode, 'a:InvalidSecurity', 'two BinarySecurityTokens refused');
  });

  t.test('refusals are MessageFormat faults', async (t) => {
    const cases: [string, string | Buffer, RegExp][] = [
      ['not XML', 'hello', /not acceptable XML/],
      ['DOCTYPE', `<!DOCTYPE s:Envelope>${envelope()}`, /DOCTYPE/],
      ['too deep', envelope({ body: '<x>'.repeat(30) + '</x>'.repeat(30) }), /nesting deeper than 24 levels/],
      ['too large', Buffer.alloc(MAX_SOAP_BYTES + 1, 0x20), /exceeds the 262144-byte limit/],
      ['not an envelope', '<Envelop><Body><x/></Body></Envelop>', /not a SOAP envelope/],
      ['no Body', `${ENV_OPEN}<s:Header><a:Action>x</a:Action><a:MessageID>m</a:MessageID></s:Header></s:Envelope>`, /no Body/],
      ['empty Body', envelope({ body: '' }), /Body is empty/],
      ['no Action', envelope().replace(/<a:Action[^]*?<\/a:Action>/, ''), /Action header is missing/],
      ['no MessageID', envelope({ messageId: null }), /MessageID header is missing/],
      ['empty MessageID', envelope({ messageId: '   ' }), /MessageID header is missing/],
      ['long MessageID', envelope({ messageId: 'x'.repeat(257) }), /MessageID is too long/],
    ];
    for (const [name, xml, reason] of cases) {
      const f = soapFaultOf(() => parseSoapRequest(xml));
      t.equal(f?.subcode, 's:MessageFormat', `${name}: MessageFormat`);
      t.match(f?.reason, reason, `${name}: reason`);
    }
    t.doesNotThrow(() => parseSoapRequest(envelope({ messageId: 'x'.repeat(256) })), '256-character MessageID accepted');
  });
});

t.test('buildSoapFault and buildSoapEnvelope', async (t) => {
  const hostileId = `urn:uuid:<x>&amp;"'</a:RelatesTo><injected/>`;
  const xml = buildSoapFault(
    { subcode: 's:Authorization', reason: 'no <b>bold</b> & "quotes"', errorType: 'NotSupported' },
    { action: 'urn:reply', relatesTo: hostileId, activityId: 'act-1', traceId: 'trace<1>' },
  );
  t.doesNotThrow(() => parseXml(xml), 'well-formed');
  t.notMatch(xml, /<injected\/>/, 'RelatesTo cannot inject markup');
  t.match(xml, /<a:RelatesTo>urn:uuid:&lt;x&gt;&amp;amp;&quot;&apos;&lt;\/a:RelatesTo&gt;&lt;injected\/&gt;<\/a:RelatesTo>/, 'RelatesTo escaped');
  const f = readFault(xml);
  t.same(f, { subcode: 's:Authorization', reason: 'no <b>bold</b> & "quotes"', errorType: 'NotSupported', relatesTo: hostileId });
  const doc = parseXml(xml);
  t.equal(childText(xmlPath(doc, 'Envelope', 'Header'), 'Action'), 'urn:reply');
  t.equal(attr(xmlPath(doc, 'Envelope', 'Header', 'ActivityId'), 'CorrelationId'), 'act-1');
  t.equal(childText(xmlPath(doc, 'Envelope', 'Body', 'Fault', 'Code'), 'Value'), 's:Receiver', 'Receiver code');
  t.equal(childText(xmlPath(doc, 'Envelope', 'Body', 'Fault', 'Detail', 'DeviceEnrollmentServiceError'), 'TraceId'), 'trace<1>');
  t.match(xml, new RegExp(`<DeviceEnrollmentServiceError xmlns="${NS.enrollment.replace(/[.]/g, '\\.')}">`), 'detail in the enrollment namespace');

  const plain = buildSoapFault({ subcode: 's:MessageFormat', reason: 'bad' }, { action: 'urn:reply', activityId: 'a', traceId: 't' });
  t.doesNotThrow(() => parseXml(plain));
  t.notMatch(plain, /Detail|RelatesTo/, 'no detail without an errortype; no RelatesTo without a MessageID');
  t.same(readFault(plain), { subcode: 's:MessageFormat', reason: 'bad', errorType: undefined, relatesTo: undefined });
  t.match(
    buildSoapEnvelope({ action: 'x', relatesTo: '  urn:uuid: 1  ', activityId: 'a' }, '<b/>'),
    /<a:RelatesTo>urn:uuid: 1<\/a:RelatesTo>/,
    'RelatesTo trimmed, verbatim',
  );
  const ts = buildSoapEnvelope({ action: 'x', activityId: 'a', timestamp: { created: new Date(0), expires: new Date(300_000) } }, '<b/>');
  t.match(ts, /<u:Created>1970-01-01T00:00:00\.000Z<\/u:Created><u:Expires>1970-01-01T00:05:00\.000Z<\/u:Expires>/);
  t.doesNotThrow(() => parseXml(ts));
});

t.test('MS-MDE2 Discover', async (t) => {
  t.test('negotiateEnrollmentVersion', async (t) => {
    t.equal(MAX_ENROLLMENT_VERSION, 5);
    t.equal(negotiateEnrollmentVersion(undefined), undefined, 'no RequestVersion, no EnrollmentVersion');
    for (const [req, want] of [
      ['1.0', undefined],
      ['2.0', undefined],
      ['3.0', '3.0'],
      ['4.0', '4.0'],
      ['4.5', '4.0'],
      ['5.0', '5.0'],
      ['5', '5.0'],
      ['6.0', '5.0'],
      ['99.99', '5.0'],
    ] as const) {
      t.equal(negotiateEnrollmentVersion(req), want, `${req} → ${want}`);
    }
    for (let i = 0; i <= 99; i++) {
      const v = (i / 10).toFixed(1);
      const want = i < 30 ? undefined : i < 40 ? '3.0' : i < 50 ? '4.0' : '5.0';
      if (negotiateEnrollmentVersion(v) !== want) t.fail(`${v} → ${negotiateEnrollmentVersion(v)}`);
    }
    t.pass('every one-decimal version 0.0–9.9 maps to the highest of 3.0, 4.0, 5.0 not above it (none below 3.0)');
    for (const req of ['4.99', '3.95', '4.96']) {
      const got = negotiateEnrollmentVersion(req)!;
      t.ok(Number(got) <= Number(req), `${req} → ${got}: never above the client's version`);
    }
  });

  t.test('parseDiscoverRequest on a real Windows 10 Discover', async (t) => {
    const xml = fs.readFileSync(FLEET_DISCOVER);
    const req = parseSoapRequest(xml);
    t.equal(req.action, DISCOVER_ACTION);
    t.equal(req.messageId, 'urn:uuid:748132ec-a575-4329-b01b-6171a9cf8478');
    t.equal(req.to, 'https://EnterpriseEnrollment.fleetdm.ngrok.io:443/EnrollmentServer/Discovery.svc');
    t.same(parseDiscoverRequest(req), {
      emailAddress: 'demo@fleetdm.ngrok.io',
      requestVersion: '4.0',
      deviceType: 'CIMClient_Windows',
      applicationVersion: '10.0.19043.2364',
      osEdition: '72',
      authPolicies: ['OnPremise', 'Federated'],
    });
    t.equal(negotiateEnrollmentVersion(parseDiscoverRequest(req).requestVersion), '4.0');
  });

  t.test('parseDiscoverRequest variants and refusals', async (t) => {
    const disco = (inner: string) =>
      parseSoapRequest(
        envelope({ body: `<Discover xmlns="http://schemas.microsoft.com/windows/management/2012/01/enrollment/"><request>${inner}</request></Discover>` }),
      );
    t.same(parseDiscoverRequest(disco('<AuthPolicies>Federated</AuthPolicies>')).authPolicies, ['Federated'], 'published single-value variant');
    t.same(
      parseDiscoverRequest(
        disco(
          '<AuthPolicies><AuthPolicy>federated</AuthPolicy><AuthPolicy>Kerberos</AuthPolicy><AuthPolicy>FEDERATED</AuthPolicy><AuthPolicy> Certificate </AuthPolicy></AuthPolicies>',
        ),
      ).authPolicies,
      ['Federated', 'Certificate'],
      'case-insensitive, unknown dropped, duplicates removed',
    );
    t.same(parseDiscoverRequest(disco('')), {
      emailAddress: undefined,
      requestVersion: undefined,
      deviceType: undefined,
      applicationVersion: undefined,
      osEdition: undefined,
      authPolicies: [],
    });
    const bad = soapFaultOf(() => parseDiscoverRequest(disco('<RequestVersion>5.0; DROP TABLE</RequestVersion>')));
    t.equal(bad?.subcode, 's:MessageFormat', 'RequestVersion must be a version number');
    t.match(bad?.reason, /is not a version number/);
    t.equal(soapFaultOf(() => parseDiscoverRequest(disco('<RequestVersion>123.0</RequestVersion>')))?.subcode, 's:MessageFormat');
    const noReq = soapFaultOf(() => parseDiscoverRequest(parseSoapRequest(envelope({ body: '<Discover xmlns="urn:x"/>' }))));
    t.match(noReq, { subcode: 's:MessageFormat', reason: /no request element/ });
    const other = soapFaultOf(() => parseDiscoverRequest(parseSoapRequest(envelope({ body: '<GetPolicies xmlns="urn:x"><client/></GetPolicies>' }))));
    t.match(other, { subcode: 's:MessageFormat', reason: /Expected a Discover request, got GetPolicies/ });
  });

  t.test('DiscoverResponse', async (t) => {
    const body = buildDiscoverResponse(
      {
        authPolicy: 'Federated',
        enrollmentVersion: '5.0',
        enrollmentPolicyServiceUrl: 'https://mdm.example.com/EnrollmentServer/Policy.svc?a=1&b=2',
        enrollmentServiceUrl: 'https://mdm.example.com/EnrollmentServer/Enrollment.svc',
        authenticationServiceUrl: 'https://mdm.example.com/EnrollmentServer/Authenticate',
      },
      { relatesTo: 'urn:uuid: 748132ec-a575-4329-b01b-6171a9cf8478', activityId: 'b3c4' },
    );
    t.doesNotThrow(() => parseXml(body), 'well-formed');
    t.same(readDiscoverResponse(body), {
      authPolicy: 'Federated',
      enrollmentVersion: '5.0',
      policyUrl: 'https://mdm.example.com/EnrollmentServer/Policy.svc?a=1&b=2',
      enrollmentUrl: 'https://mdm.example.com/EnrollmentServer/Enrollment.svc',
      authenticationUrl: 'https://mdm.example.com/EnrollmentServer/Authenticate',
    });
    t.match(body, /Policy\.svc\?a=1&amp;b=2</, '& escaped in URLs');

    t.test('DiscoverResponse validates against the MS-MDE2 discovery XSD', async (t) => {
      const schema = { fileName: 'ms-mde2-discovery.xsd', contents: fs.readFileSync(DISCOVERY_XSD, 'utf8') };
      const variants = {
        federated: body,
        onpremise: buildDiscoverResponse(
          { authPolicy: 'OnPremise', enrollmentPolicyServiceUrl: 'https://m.example.com/p', enrollmentServiceUrl: 'https://m.example.com/e' },
          { relatesTo: 'x', activityId: 'y' },
        ),
      };
      const docs: Record<string, string> = {};
      for (const [name, xml] of Object.entries(variants)) {
        const m = /<DiscoverResponse[^]*<\/DiscoverResponse>/.exec(xml);
        t.ok(m, `${name}: has a DiscoverResponse element`);
        docs[name] = `<?xml version="1.0" encoding="utf-8"?>\n${m![0]}\n`;
      }
      // The check can fail: an AuthPolicy outside the schema's enumeration is refused.
      const bad = /<DiscoverResponse[^]*<\/DiscoverResponse>/.exec(body)![0].replace('>Federated<', '>Kerberos<');
      // One xmllint run for all (one worker, the schema compiled once).
      const errors = await xsdErrorsEach({ ...docs, bad }, schema);
      for (const name of Object.keys(variants)) t.equal(errors[name], '', `${name}: valid`);
      t.not(errors.bad, '', 'an invalid variant is rejected');
    });
  });
});

t.test('wap-provisioningdoc', async (t) => {
  const doc: ProvisioningDoc = {
    root: { thumbprint: 'A'.repeat(40), base64: 'TUlJQ1Jvb3Q=' },
    client: { thumbprint: 'B'.repeat(40), base64: 'TUlJQ0NsaWVudA==' },
    clientStore: 'User',
    clientSubject: `CN=o'brien&co <test>@contoso.com`,
    renewal: { serverUrl: 'https://mdm.example.com/EnrollmentServer/Enrollment.svc?x=1&y=2', renewPeriodDays: 42, retryIntervalDays: 7 },
    providerId: 'fenestra',
    serverName: 'fenestra',
    managementUrl: 'https://mdm.example.com/ManagementServer/MDM.svc',
    appSrvAuth: { name: 'dev-1', secret: `s3cr&t<"'>` },
    clientAuth: { name: 'server', secret: 'pw&2', nonceBase64: 'bm9uY2U=' },
    dmClient: { entDmId: 'dm-1', entDeviceName: 'DESKTOP-<1>&', upn: `o'brien@contoso.com`, aadResourceId: 'https://mdm.example.com', poll: DEFAULT_POLL },
  };

  t.test('built document is well-formed and reads back', async (t) => {
    const xml = buildProvisioningDoc(doc);
    t.doesNotThrow(() => parseXml(xml), 'well-formed (parseXml)');
    const crit = searchCriteria(doc.clientSubject, 'User');
    t.equal(crit, `Subject=CN%3Do'brien%26co%20%3Ctest%3E%40contoso.com&Stores=My%5CUser`);
    t.ok(
      xml.includes(`value="Subject=CN%3Do&apos;brien%26co%20%3Ctest%3E%40contoso.com&amp;Stores=My%5CUser"`),
      "'&' and quote escaped in SSLCLIENTCERTSEARCHCRITERIA",
    );
    t.notMatch(xml, /&Stores/, 'no raw & before Stores');
    t.notMatch(xml.replace(/&(amp|lt|gt|quot|apos);/g, ''), /&/, 'no raw & anywhere');

    const p = readProvisioningDoc(xml);
    t.same(p.root, doc.root);
    t.same(p.client, { ...doc.client, store: 'User' });
    t.same(p.renew, { ROBOSupport: 'true', RenewPeriod: '42', RetryInterval: '7', ServerURL: doc.renewal!.serverUrl });
    t.equal(p.application.APPID, 'w7');
    t.equal(p.application['PROVIDER-ID'], 'fenestra');
    t.equal(p.application.ADDR, doc.managementUrl);
    t.equal(p.application.SSLCLIENTCERTSEARCHCRITERIA, crit, 'the device reads back the unescaped criteria');
    t.equal(p.application.DEFAULTENCODING, 'application/vnd.syncml.dm+xml');
    t.same(
      p.appAuth.map((a) => [a.AAUTHLEVEL, a.AAUTHTYPE, a.AAUTHNAME, a.AAUTHSECRET, a.AAUTHDATA]),
      [
        ['CLIENT', 'DIGEST', 'server', 'pw&2', 'bm9uY2U='],
        ['APPSRV', 'DIGEST', 'dev-1', `s3cr&t<"'>`, 'bm9uY2U='],
      ],
    );
    t.equal(p.dmClient['@id'], 'fenestra');
    t.equal(p.dmClient.EntDMID, 'dm-1');
    t.equal(p.dmClient.EntDeviceName, 'DESKTOP-<1>&');
    t.equal(p.dmClient.UPN, `o'brien@contoso.com`);
    t.equal(p.dmClient.AADResourceID, 'https://mdm.example.com');
    t.same(p.poll, {
      IntervalForFirstSetOfRetries: '3',
      NumberOfFirstRetries: '5',
      IntervalForSecondSetOfRetries: '15',
      NumberOfSecondRetries: '8',
      IntervalForRemainingScheduledRetries: '480',
      NumberOfRemainingScheduledRetries: '0',
      PollOnLogin: 'true',
      AllUsersPollOnFirstLogin: 'true',
    });
    t.match(xml, /<characteristic type="PrivateKeyContainer"\/>/);
  });

  t.test('device context and optional parts', async (t) => {
    const xml = buildProvisioningDoc({
      ...doc,
      clientStore: 'System',
      clientSubject: 'CN=7BA748C8-703E-4DF2-A74A-92984117346A',
      renewal: undefined,
      dmClient: { entDmId: 'dm-2', poll: DEFAULT_POLL },
    });
    t.doesNotThrow(() => parseXml(xml));
    const p = readProvisioningDoc(xml);
    t.equal(p.client?.store, 'System');
    t.equal(p.application.SSLCLIENTCERTSEARCHCRITERIA, 'Subject=CN%3D7BA748C8-703E-4DF2-A74A-92984117346A&Stores=My%5CSystem');
    t.equal(p.renew, undefined, 'no WSTEP block without renewal settings');
    t.notOk('UPN' in p.dmClient || 'EntDeviceName' in p.dmClient || 'AADResourceID' in p.dmClient, 'optional DMClient parms left out');
  });

  t.test('renewal document', async (t) => {
    const xml = buildRenewalProvisioningDoc({ root: doc.root, client: doc.client, clientStore: 'System', providerId: 'fenestra', renewal: doc.renewal });
    t.doesNotThrow(() => parseXml(xml));
    const p = readProvisioningDoc(xml);
    t.same(p.client, { ...doc.client, store: 'System' });
    t.same(p.application, { APPID: 'w7', 'PROVIDER-ID': 'fenestra' });
    t.equal(p.renew?.ServerURL, doc.renewal!.serverUrl);
    t.same(p.dmClient, {});
  });

  t.test('esc', async (t) => {
    t.equal(esc(`<a href="x">&'</a>`), '&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;');
    t.equal(esc('plain'), 'plain');
    t.equal(esc('&amp;'), '&amp;amp;', 'escapes once more: callers pass raw text');
  });
});
