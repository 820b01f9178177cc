// Public app URLs are an administrator's input the server fetches: they must not reach the
// server's own network (SSRF). Loopback, private, link-local, unique-local and other non-public
// addresses are refused with 422 at /url — literal addresses, names resolving to them (any of
// their addresses), redirects to them — before any connection; FENESTRA_APP_PRIVATE_HOSTS lets
// named hosts through. Against a real server (TLS, SQLite) and a real HTTPS site on loopback.
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { CertificateAuthority, generateCa, generateServerCertificate } from '../../src/pki/ca.js';
import { nonPublicAddress, openVendorDownload } from '../../src/service/apps/vendor-fetch.js';
import { startFakeVendor } from '../helpers/fake-vendor.js';
import { buildMsix } from '../helpers/packages.js';
import { startTestServer } from '../helpers/server.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-vendor-url-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const msix = await buildMsix(dir, { name: 'Contoso.Paint', publisher: 'CN=Contoso Ltd, O=Contoso, C=US', version: '1.2.0.0', displayName: 'Contoso Paint' });
const msixBytes = fs.readFileSync(msix.file);

/** An HTTPS site on loopback (both families) whose certificate names localhost and 127.0.0.1; it records what it was asked. */
async function loopbackSite() {
  const ca = generateCa({ commonName: 'Loopback Site CA' });
  const tls = generateServerCertificate(CertificateAuthority.fromPem(ca.certPem, ca.keyPem), { hostnames: ['localhost', '127.0.0.1'] });
  const caFile = path.join(dir, 'loopback-ca.pem');
  fs.writeFileSync(caFile, ca.certPem);
  const requests: string[] = [];
  const server = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    requests.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(msixBytes.length) }).end(msixBytes);
  });
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '::', ipv6Only: false }, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    caFile,
    requests,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

t.test('which addresses are not public', async (t) => {
  const cases: [string, string | undefined][] = [
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['::ffff:192.168.1.1', 'private'],
    ['64:ff9b::a01:203', 'private'],
    ['64:ff9b::10.1.2.3', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fd00:ec2::254', 'unique-local'],
    ['fc00::1', 'unique-local'],
    ['100.64.0.1', 'shared (carrier-grade NAT)'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['2002:7f00:1::1', 'reserved'],
    ['::127.0.0.1', 'reserved'],
    ['8.8.8.8', undefined],
    ['172.32.0.1', undefined],
    ['100.128.0.1', undefined],
    ['::ffff:8.8.8.8', undefined],
    ['64:ff9b::808:808', undefined],
    ['2001:4860:4860::8888', undefined],
    ['2606:4700::1111', undefined],
  ];
  for (const [address, kind] of cases) t.equal(nonPublicAddress(address), kind, `${address}: ${kind ?? 'public'}`);
});

t.test('a name is judged by every address it resolves to, and nothing is fetched from a refused one', async (t) => {
  const site = await loopbackSite();
  t.teardown(site.close);
  const ca = fs.readFileSync(site.caFile, 'utf8');
  const lookup = async () => [
    { address: '93.184.215.14', family: 4 },
    { address: '127.0.0.1', family: 4 },
  ];
  await t.rejects(
    openVendorDownload(`https://downloads.contoso.test:${site.port}/a.msix`, 1e9, { ca, lookup }),
    { status: 422, pointer: '/url', message: /downloads\.contoso\.test \(127\.0\.0\.1\) is a loopback address/ },
    'one loopback address among public ones: refused',
  );
  // Connected to the address the check saw: a name answering loopback (allowed here) reaches the
  // loopback site, with the certificate checked for the URL's name.
  const dl = await openVendorDownload(`https://localhost:${site.port}/b.msix`, 1e9, {
    ca,
    privateHosts: ['localhost'],
    lookup: async () => [{ address: '127.0.0.1', family: 4 }],
  });
  dl.body.resume();
  t.equal(dl.body.statusCode, 200);
  t.same(site.requests, ['/b.msix'], 'only the allowed request reached the site');
});

t.test('the admin API refuses non-public package URLs, 422 at /url', async (t) => {
  const site = await loopbackSite();
  const vendor = await startFakeVendor();
  // Both test CAs trusted: a refused URL must fail on its address, not on TLS.
  const bothCas = path.join(dir, 'both-cas.pem');
  fs.writeFileSync(bothCas, fs.readFileSync(vendor.env.FENESTRA_TEST_OUTBOUND_CA, 'utf8') + fs.readFileSync(site.caFile, 'utf8'));
  const s = await startTestServer({ ...vendor.env, FENESTRA_TEST_OUTBOUND_CA: bothCas });
  t.teardown(async () => {
    await s.close();
    await vendor.close();
    await site.close();
  });
  const add = (url: string) => s.admin('POST', '/api/v1/apps/public', { url, sha256: msix.sha256 });
  for (const [url, kind] of [
    [`https://127.0.0.1:${site.port}/a.msix`, 'loopback'],
    [`https://localhost:${site.port}/a.msix`, 'loopback'],
    [`https://[::1]:${site.port}/a.msix`, 'loopback'],
    [`https://[::ffff:127.0.0.1]:${site.port}/a.msix`, 'loopback'],
    [`https://0x7f.1:${site.port}/a.msix`, 'loopback'],
    ['https://169.254.169.254/latest/meta-data/', 'link-local'],
    ['https://10.0.0.1/a.msix', 'private'],
    ['https://[fd00::1]/a.msix', 'unique-local'],
  ]) {
    const r = await add(url);
    t.equal(r.status, 422, `${url}: 422`);
    t.match(r.json.error, { pointer: '/url', message: new RegExp(`is a ${kind} address`) }, `… saying it is ${kind}`);
  }
  // A public host (here a test machine's mapped fake) redirecting to loopback: the hop is refused.
  vendor.redirect('/to-loopback.msix', `https://127.0.0.1:${site.port}/a.msix`);
  const hop = await add(vendor.url('/to-loopback.msix'));
  t.equal(hop.status, 422, 'a redirect to a loopback address: 422');
  t.match(hop.json.error, { pointer: '/url', message: /127\.0\.0\.1 is a loopback address/ });
  t.same(site.requests, [], 'the loopback site was never asked for anything');
  t.same(vendor.requests, ['/to-loopback.msix'], 'the mapped vendor was asked once, for the redirect');
});

t.test('FENESTRA_APP_PRIVATE_HOSTS lets the named hosts through, only those', async (t) => {
  const site = await loopbackSite();
  const s = await startTestServer({ FENESTRA_TEST_OUTBOUND_CA: site.caFile, FENESTRA_APP_PRIVATE_HOSTS: 'LocalHost' });
  t.teardown(async () => {
    await s.close();
    await site.close();
  });
  const ok = await s.admin('POST', '/api/v1/apps/public', { url: `https://localhost:${site.port}/paint.msix`, sha256: msix.sha256 });
  t.equal(ok.status, 201, `an intranet host named by the setting: fetched (${JSON.stringify(ok.json)})`);
  t.match(ok.json.version, { source: 'url', sha256: msix.sha256 });
  const audit = await s.admin('GET', `/api/v1/audit?targetType=app&targetId=${ok.json.app.id}`);
  t.match(
    audit.json.entries.filter((e: { action: string }) => e.action === 'app.version.add'),
    [
      {
        action: 'app.version.add',
        actor: /^break-glass@/,
        detail: { source: 'url', sourceUrl: `https://localhost:${site.port}/paint.msix`, sha256: msix.sha256 },
      },
    ],
    'audited with the admin and the URL the package came from',
  );
  const other = await s.admin('POST', '/api/v1/apps/public', { url: `https://127.0.0.1:${site.port}/paint.msix`, sha256: msix.sha256 });
  t.equal(other.status, 422, 'another loopback host: still refused');
  t.same(site.requests, ['/paint.msix'], 'one request reached the site');
});
