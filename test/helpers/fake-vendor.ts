// A vendor's download site for public packages, a real HTTPS server on loopback under a host
// name of its own, with a certificate from its own CA (written to a file for
// FENESTRA_TEST_OUTBOUND_CA); `env` sends the server's calls for that host here. It serves files
// by path, redirects on demand, answers any status on demand, and records what it was asked.
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CertificateAuthority, generateCa, generateServerCertificate } from '../../src/pki/ca.js';

export const VENDOR_HOST = 'downloads.contoso.test';

export interface FakeVendor {
  /** https://VENDOR_HOST + path. */
  url(p: string): string;
  /** Serves `body` at `p`; `chunked`: without a Content-Length. */
  file(p: string, body: Buffer, o?: { chunked?: boolean }): void;
  redirect(from: string, to: string, status?: number): void;
  status(p: string, status: number): void;
  /** Paths asked for, in order. */
  requests: string[];
  /** FENESTRA_TEST_OUTBOUND and FENESTRA_TEST_OUTBOUND_CA for startTestServer. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startFakeVendor(): Promise<FakeVendor> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-vendor-'));
  const ca = generateCa({ commonName: 'Fake Vendor CA' });
  const tls = generateServerCertificate(CertificateAuthority.fromPem(ca.certPem, ca.keyPem), { hostnames: [VENDOR_HOST] });
  const caFile = path.join(dir, 'ca.pem');
  fs.writeFileSync(caFile, ca.certPem);
  const files = new Map<string, { body: Buffer; chunked: boolean }>();
  const redirects = new Map<string, { to: string; status: number }>();
  const statuses = new Map<string, number>();
  const requests: string[] = [];
  const server = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const p = req.url ?? '/';
    requests.push(p);
    const r = redirects.get(p);
    if (r) return void res.writeHead(r.status, { location: r.to }).end();
    const st = statuses.get(p);
    if (st) return void res.writeHead(st, { 'content-type': 'text/plain' }).end(`status ${st}\n`);
    const f = files.get(p);
    if (!f) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    res.writeHead(200, { 'content-type': 'application/octet-stream', ...(f.chunked ? {} : { 'content-length': String(f.body.length) }) });
    // In pieces: the server must take a body that arrives over several reads.
    for (let i = 0; i < f.body.length; i += 16 * 1024) res.write(f.body.subarray(i, i + 16 * 1024));
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (p) => `https://${VENDOR_HOST}${p}`,
    file: (p, body, o = {}) => void files.set(p, { body, chunked: !!o.chunked }),
    redirect: (from, to, status = 302) => void redirects.set(from, { to, status }),
    status: (p, status) => void statuses.set(p, status),
    requests,
    env: { FENESTRA_TEST_OUTBOUND: `${VENDOR_HOST}=127.0.0.1:${port}`, FENESTRA_TEST_OUTBOUND_CA: caFile },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
