// Client certificates forwarded by TLS-terminating proxies: trusted proxy addresses and the
// nginx / Envoy XFCC / Traefik / Azure ARR header formats, built from a certificate our CA issued.
import t from 'tap';
type Tap = typeof t;
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { CertificateAuthority, generateCa } from '../../src/pki/ca.js';
import { checkDeviceCertificate } from '../../src/identity/device-credential.js';
import {
  MAX_FORWARDED_CERT_HEADER_CHARS,
  PROXY_CERT_FORMATS,
  PROXY_CERT_HEADERS,
  compileTrustedProxies,
  extractForwardedCert,
  isProxyCertFormat,
  isTrustedProxy,
  parseTrustedProxies,
  parseXfcc,
  type ProxyCertFormat,
} from '../../src/identity/proxy-cert.js';

const { certPem, keyPem } = generateCa({ commonName: 'Fenestra Proxy Test CA' });
const ca = CertificateAuthority.fromPem(certPem, keyPem);
const spki = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
const leaf = ca.issueClientCertificate({ subjectCn: 'F3A1C2D4E5B60718293A4B5C6D7E8F90', publicKeySpkiDer: spki, validityDays: 365 });
const leafB64 = leaf.der.toString('base64');
const caB64 = ca.certDer.toString('base64');
const sha256Hex = (der: Buffer) => createHash('sha256').update(der).digest('hex');

/** What nginx's $ssl_client_escaped_cert produces: the PEM, percent-encoded (upper-case hex). */
const nginxEscaped = encodeURIComponent(leaf.pem);
/** nginx's deprecated $ssl_client_cert: PEM lines after the first prefixed by a tab. */
const nginxLegacy = leaf.pem.trimEnd().split('\n').join('\n\t');

/** An Envoy XFCC element for our leaf, as Envoy writes it (Cert quoted, URL-encoded PEM). */
function xfccElement(opts: { cert?: string; hash?: string; by?: string; subject?: string } = {}): string {
  const parts = [`By=${opts.by ?? 'spiffe://fenestra.example/edge'}`, `Hash=${opts.hash ?? sha256Hex(leaf.der)}`];
  if (opts.cert !== '') parts.push(`Cert="${opts.cert ?? encodeURIComponent(leaf.pem)}"`);
  parts.push(`Subject="${opts.subject ?? `CN=${leaf.subjectCn}`}"`, 'URI=');
  return parts.join(';');
}

const h = (format: ProxyCertFormat, value: string | string[] | undefined) => ({ [PROXY_CERT_HEADERS[format]]: value, host: 'mdm.example' });

function isErr(t: Pick<Tap, 'ok' | 'match'>, v: unknown, re: RegExp, msg: string) {
  t.ok(v instanceof Error, `${msg}: is an Error`);
  if (v instanceof Error) t.match(v.message, re, `${msg}: ${v.message}`);
}

t.test('format names and headers', async (t) => {
  t.same([...PROXY_CERT_FORMATS], ['nginx', 'envoy', 'traefik', 'azure']);
  t.same(PROXY_CERT_HEADERS, {
    nginx: 'ssl-client-cert',
    envoy: 'x-forwarded-client-cert',
    traefik: 'x-forwarded-tls-client-cert',
    azure: 'x-arr-clientcert',
  });
  t.ok(isProxyCertFormat('envoy'));
  t.notOk(isProxyCertFormat('haproxy'));
  t.notOk(isProxyCertFormat(undefined));
  isErr(t, extractForwardedCert(h('nginx', nginxEscaped), 'haproxy' as ProxyCertFormat), /unknown proxy certificate format/, 'unknown format');
});

t.test('nginx: $ssl_client_escaped_cert and legacy $ssl_client_cert', async (t) => {
  t.same(extractForwardedCert(h('nginx', nginxEscaped), 'nginx'), leaf.der, 'escaped PEM');
  t.same(
    extractForwardedCert(
      h(
        'nginx',
        nginxEscaped.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
      ),
      'nginx',
    ),
    leaf.der,
    'lower-case hex escapes',
  );
  t.same(extractForwardedCert(h('nginx', nginxLegacy), 'nginx'), leaf.der, 'legacy tab-continued PEM');
  t.same(extractForwardedCert(h('nginx', leaf.pem.trimEnd().split('\n').join(' ')), 'nginx'), leaf.der, 'PEM with spaces for newlines');
  t.same(extractForwardedCert(h('nginx', leaf.pem.trimEnd().split('\n').join('\r\n ')), 'nginx'), leaf.der, 'folded with CRLF');
  t.match(nginxEscaped, /%2B|%2F|%3D/, 'the fixture really escapes base64 punctuation');
  const der = extractForwardedCert(h('nginx', nginxEscaped), 'nginx');
  t.same(checkDeviceCertificate(der as Buffer, ca, new Date()), { ok: true, thumbprint: leaf.thumbprint }, 'verifies as a device certificate');

  isErr(t, extractForwardedCert(h('nginx', leafB64), 'nginx'), /expected a PEM certificate/, 'bare base64 is not nginx');
  isErr(t, extractForwardedCert(h('nginx', '-----BEGIN%20CERTIFICATE-----%0AMII%ZZ'), 'nginx'), /percent-encoding/, 'bad escape');
  isErr(t, extractForwardedCert(h('nginx', leaf.pem + ca.certPem), 'nginx'), /exactly one PEM/, 'two certificates');
  isErr(t, extractForwardedCert(h('nginx', `${leaf.pem}, ${leaf.pem}`), 'nginx'), /exactly one PEM/, 'two headers joined by Node');
  isErr(t, extractForwardedCert(h('nginx', [nginxEscaped, nginxEscaped]), 'nginx'), /repeated/, 'repeated header (array)');
  isErr(t, extractForwardedCert(h('nginx', leaf.pem.replace(/CERTIFICATE/g, 'PUBLIC KEY')), 'nginx'), /expected a PEM certificate/, 'other PEM label');
  isErr(t, extractForwardedCert(h('nginx', '-----BEGIN CERTIFICATE-----\nMIIB!!!\n-----END CERTIFICATE-----'), 'nginx'), /base64/, 'bad base64');
  isErr(
    t,
    extractForwardedCert(h('nginx', `-----BEGIN CERTIFICATE-----\n${randomBytes(300).toString('base64')}\n-----END CERTIFICATE-----`), 'nginx'),
    /not a DER certificate/,
    'base64 of random bytes',
  );
  const truncated = leaf.der.subarray(0, leaf.der.length - 10).toString('base64');
  isErr(t, extractForwardedCert(h('nginx', `-----BEGIN CERTIFICATE-----\n${truncated}\n-----END CERTIFICATE-----`), 'nginx'), /DER/, 'truncated');
  isErr(t, extractForwardedCert(h('nginx', '-----BEGIN CERTIFICATE-----\n'), 'nginx'), /PEM/, 'unterminated PEM');
});

t.test('Envoy XFCC: first element, quoting, multi-hop, Hash', async (t) => {
  const one = xfccElement();
  t.same(extractForwardedCert(h('envoy', one), 'envoy'), leaf.der, 'single element');

  // Multi-hop: the edge proxy's element (the client's) first, an internal hop after it, whose
  // Hash/Cert describe a different certificate (the edge proxy's own client certificate).
  const hop2 = `By=spiffe://fenestra.example/app;Hash=${sha256Hex(ca.certDer)};Cert="${encodeURIComponent(ca.certPem)}";Subject="CN=edge";URI=spiffe://fenestra.example/edge;DNS=edge.internal`;
  t.same(extractForwardedCert(h('envoy', `${one},${hop2}`), 'envoy'), leaf.der, 'two hops: first element wins');
  t.same(extractForwardedCert(h('envoy', `${one}, ${hop2}`), 'envoy'), leaf.der, 'repeated headers joined by Node with ", "');
  t.same(extractForwardedCert(h('envoy', [one, hop2]), 'envoy'), leaf.der, 'repeated headers as an array');

  // Quoted values with separators and escaped quotes inside.
  const tricky = xfccElement({ subject: 'CN=dev;O=\\"Contoso, Inc\\";OU=a=b' });
  t.same(extractForwardedCert(h('envoy', `${tricky},${hop2}`), 'envoy'), leaf.der, 'quoted Subject with ; , = and \\"');
  const parsed = parseXfcc(`${tricky},${hop2}`);
  t.ok(Array.isArray(parsed));
  if (Array.isArray(parsed)) {
    t.equal(parsed.length, 2, 'two elements');
    t.same(
      parsed[0].find(([k]) => k === 'subject'),
      ['subject', 'CN=dev;O="Contoso, Inc";OU=a=b'],
      'unescaped Subject',
    );
    t.same(
      parsed[0].find(([k]) => k === 'uri'),
      ['uri', ''],
      'empty URI',
    );
    t.same(
      parsed[1].filter(([k]) => k === 'dns'),
      [['dns', 'edge.internal']],
    );
  }
  // Key order and case do not matter; Hash is optional; Cert may be unquoted (it is URL-encoded).
  const reordered = `uri=spiffe://x;CERT=${encodeURIComponent(leaf.pem)};subject="CN=x"`;
  t.same(extractForwardedCert(h('envoy', reordered), 'envoy'), leaf.der, 'unquoted Cert, no Hash, any key case');
  const lowerEscapes = xfccElement({ cert: encodeURIComponent(leaf.pem).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()) });
  t.same(extractForwardedCert(h('envoy', lowerEscapes), 'envoy'), leaf.der, 'lower-case %0a escapes');
  t.same(extractForwardedCert(h('envoy', xfccElement({ hash: sha256Hex(leaf.der).toUpperCase() })), 'envoy'), leaf.der, 'upper-case Hash');

  isErr(t, extractForwardedCert(h('envoy', xfccElement({ hash: sha256Hex(ca.certDer) })), 'envoy'), /Hash does not match/, 'Hash of another cert');
  isErr(t, extractForwardedCert(h('envoy', `${xfccElement({ cert: '' })},${one}`), 'envoy'), /no Cert/, 'client element without Cert');
  isErr(t, extractForwardedCert(h('envoy', `${one};Cert="${encodeURIComponent(leaf.pem)}"`), 'envoy'), /several Cert/, 'two Certs');
  isErr(t, extractForwardedCert(h('envoy', `${one};Hash=${sha256Hex(leaf.der)}`), 'envoy'), /several Hash/, 'two Hashes');
  isErr(t, extractForwardedCert(h('envoy', 'By=x;Cert="-----BEGIN%20CERT'), 'envoy'), /unterminated/, 'unterminated quote');
  isErr(t, extractForwardedCert(h('envoy', 'By=x;Cert="abc"def'), 'envoy'), /expected ";" or ","/, 'junk after quote');
  isErr(t, extractForwardedCert(h('envoy', 'By=x;Cert=ab"c'), 'envoy'), /stray quote/, 'quote inside unquoted value');
  isErr(t, extractForwardedCert(h('envoy', 'By=x;;Cert=abc'), 'envoy'), /Key=Value/, 'empty pair');
  isErr(t, extractForwardedCert(h('envoy', ',By=x'), 'envoy'), /Key=Value/, 'empty first element');
  isErr(t, extractForwardedCert(h('envoy', 'just garbage'), 'envoy'), /Key=Value/, 'garbage');
  isErr(
    t,
    extractForwardedCert(h('envoy', `Cert="${encodeURIComponent('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----')}"`), 'envoy'),
    /DER/,
    'not a certificate',
  );
  isErr(t, extractForwardedCert(h('envoy', 'Cert="%E0%A4%A"'), 'envoy'), /percent-encoding/, 'bad escape');
});

t.test('Traefik: base64 DER list, leaf first, v2 escaped or v3 plain', async (t) => {
  t.same(extractForwardedCert(h('traefik', leafB64), 'traefik'), leaf.der, 'leaf only');
  t.same(extractForwardedCert(h('traefik', `${leafB64},${caB64}`), 'traefik'), leaf.der, 'leaf then chain');
  t.same(extractForwardedCert(h('traefik', encodeURIComponent(`${leafB64},${caB64}`)), 'traefik'), leaf.der, 'URL-escaped (Traefik v2)');
  t.same(extractForwardedCert(h('traefik', leaf.pem), 'traefik'), leaf.der, 'PEM armour tolerated');
  isErr(t, extractForwardedCert(h('traefik', `,${leafB64}`), 'traefik'), /empty leaf/, 'empty leaf');
  isErr(t, extractForwardedCert(h('traefik', 'not base64!'), 'traefik'), /base64/, 'garbage');
  isErr(t, extractForwardedCert(h('traefik', leafB64.slice(0, -4)), 'traefik'), /DER/, 'truncated');
});

t.test('Azure ARR: base64 DER', async (t) => {
  t.same(extractForwardedCert(h('azure', leafB64), 'azure'), leaf.der);
  t.same(extractForwardedCert(h('azure', ` ${leafB64} `), 'azure'), leaf.der, 'surrounding whitespace');
  isErr(t, extractForwardedCert(h('azure', `${leafB64},${caB64}`), 'azure'), /base64/, 'a list is not ARR');
  isErr(t, extractForwardedCert(h('azure', leafB64.slice(1)), 'azure'), /base64/, 'bad length');
  isErr(t, extractForwardedCert(h('azure', randomBytes(600).toString('base64')), 'azure'), /DER/, 'random bytes');
});

t.test('absent, empty, wrong header, oversized', async (t) => {
  for (const format of PROXY_CERT_FORMATS) {
    t.equal(extractForwardedCert({}, format), undefined, `${format}: absent`);
    t.equal(extractForwardedCert(h(format, undefined), format), undefined, `${format}: undefined`);
    t.equal(extractForwardedCert(h(format, ''), format), undefined, `${format}: empty`);
    t.equal(extractForwardedCert(h(format, '  '), format), undefined, `${format}: blank`);
    t.equal(extractForwardedCert(h(format, []), format), undefined, `${format}: empty array`);
    isErr(t, extractForwardedCert(h(format, 'A'.repeat(MAX_FORWARDED_CERT_HEADER_CHARS + 1)), format), /larger than 16384/, `${format}: oversized`);
    isErr(t, extractForwardedCert(h(format, ['A'.repeat(9000), 'A'.repeat(9000)]), format), /larger than|repeated/, `${format}: oversized array`);
    const atLimit = extractForwardedCert(h(format, 'A'.repeat(MAX_FORWARDED_CERT_HEADER_CHARS)), format);
    t.ok(atLimit instanceof Error && !/larger/.test(atLimit.message), `${format}: 16 KiB exactly is parsed (and refused for what it is)`);
    t.equal(extractForwardedCert(null as never, format), undefined, `${format}: no headers object`);
    t.equal(extractForwardedCert(h(format, 42 as never), format) instanceof Error, true, `${format}: non-string value`);
  }
  // A header of another format is not looked at.
  t.equal(extractForwardedCert(h('envoy', xfccElement()), 'nginx'), undefined, 'XFCC while configured for nginx');
  t.equal(extractForwardedCert(h('nginx', nginxEscaped), 'traefik'), undefined, 'nginx header while configured for traefik');
  // The value of one format in another format's header is malformed.
  t.ok(extractForwardedCert({ 'ssl-client-cert': xfccElement() }, 'nginx') instanceof Error, 'XFCC value in the nginx header');
  t.ok(extractForwardedCert({ 'x-arr-clientcert': nginxEscaped }, 'azure') instanceof Error, 'escaped PEM in the ARR header');
  // Error messages never echo the header value.
  const e = extractForwardedCert(h('azure', 'secret-looking-value'), 'azure');
  t.ok(e instanceof Error && !e.message.includes('secret-looking-value'), 'value not echoed');
});

t.test('never throws on junk', async (t) => {
  const alphabet = 'AZaz09+/=%;,"\\ -:\n\tBEGINCERTIFICATE';
  let threw = 0;
  for (let i = 0; i < 2000; i++) {
    const len = 1 + Math.floor(Math.random() * 200);
    let s = '';
    for (let j = 0; j < len; j++) s += alphabet[Math.floor(Math.random() * alphabet.length)];
    for (const format of PROXY_CERT_FORMATS) {
      try {
        const r = extractForwardedCert(h(format, s), format);
        if (!(r === undefined || r instanceof Error || Buffer.isBuffer(r))) threw++;
      } catch {
        threw++;
      }
    }
  }
  t.equal(threw, 0);
});

t.test('parseTrustedProxies', async (t) => {
  t.same(parseTrustedProxies('10.0.0.0/8, ::1 ,127.0.0.1,'), ['10.0.0.0/8', '::1', '127.0.0.1']);
  t.same(parseTrustedProxies(''), [], 'empty: no trusted proxy');
  t.same(parseTrustedProxies(' , '), []);
  t.same(parseTrustedProxies('2001:db8::/32,::ffff:10.0.0.0/104,0.0.0.0/0,::/0,192.168.1.7/32'), [
    '2001:db8::/32',
    '::ffff:10.0.0.0/104',
    '0.0.0.0/0',
    '::/0',
    '192.168.1.7/32',
  ]);
  for (const bad of [
    'localhost',
    '10.0.0.0/33',
    '::/129',
    '10.0.0.0/',
    '10.0.0.0/-1',
    '10.0.0.0/+8',
    '10.0.0.0/8/8',
    '1.2.3',
    '10.0.0.256',
    'fe80::1%eth0',
    '::1/abc',
    '2001:db8:::1',
  ]) {
    const r = parseTrustedProxies(`127.0.0.1, ${bad}, ::1`);
    t.ok(r instanceof Error, `${bad} refused`);
    if (r instanceof Error) t.ok(r.message.includes(`"${bad}"`), `error names the entry: ${r.message}`);
  }
  t.ok(parseTrustedProxies(undefined as never) instanceof Error);
});

t.test('isTrustedProxy / compileTrustedProxies', async (t) => {
  const proxies = parseTrustedProxies('10.0.0.0/8,::1,127.0.0.1,192.168.0.0/23,2001:db8::/32,fd00::/7,fe80::/10') as string[];
  const cases: [string | undefined, boolean][] = [
    ['10.1.2.3', true],
    ['::ffff:10.1.2.3', true],
    ['::FFFF:10.255.255.255', true],
    ['11.0.0.1', false],
    ['::ffff:11.0.0.1', false],
    ['127.0.0.1', true],
    ['::ffff:127.0.0.1', true],
    ['127.0.0.2', false],
    ['::1', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::2', false],
    ['192.168.1.255', true],
    ['192.168.0.0', true],
    ['192.168.2.0', false],
    ['2001:db8:ffff::1', true],
    ['2001:DB8::', true],
    ['2001:db9::1', false],
    ['fd12:3456::1', true],
    ['fc00::1', true],
    ['fe00::1', false],
    ['fe80::1%eth0', true],
    ['::a00:1', false], // IPv4-compatible, not IPv4-mapped
    ['', false],
    ['garbage', false],
    ['10.0.0.1:443', false],
    [undefined, false],
  ];
  const matcher = compileTrustedProxies(proxies);
  for (const [addr, expected] of cases) {
    t.equal(isTrustedProxy(addr, proxies), expected, `${addr}`);
    t.equal(matcher(addr), expected, `${addr} (compiled)`);
  }
  t.equal(isTrustedProxy('10.0.0.1', []), false, 'empty list trusts nobody');
  t.equal(isTrustedProxy('10.200.0.1', ['10.1.2.3/8']), true, 'host bits in the CIDR are cleared');
  t.equal(isTrustedProxy('1.2.3.4', ['0.0.0.0/0']), true, '/0 IPv4');
  t.equal(isTrustedProxy('2001::1', ['0.0.0.0/0']), false, 'IPv4 /0 does not cover IPv6');
  t.equal(isTrustedProxy('10.9.8.7', ['::ffff:10.0.0.0/104']), true, 'IPv4 peer vs IPv4-mapped IPv6 CIDR');
  t.equal(isTrustedProxy('10.0.0.5', ['10.0.0.5']), true, 'single address');
  t.equal(isTrustedProxy('10.0.0.6', ['10.0.0.5']), false);
  // The per-array cache follows changes to the array.
  const list = ['10.0.0.5'];
  t.equal(isTrustedProxy('10.0.0.6', list), false);
  list.push('10.0.0.6');
  t.equal(isTrustedProxy('10.0.0.6', list), true, 'recompiled after mutation');
  t.throws(() => compileTrustedProxies(['10.0.0.0/8', 'nope']), { name: 'TypeError', message: /"nope"/ });
  t.throws(() => isTrustedProxy('10.0.0.1', ['nope']), TypeError);
});
