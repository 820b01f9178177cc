// A TLS-terminating proxy on a trusted address forwards the device certificate in its header
// format; the session authenticates with it. A malformed header from that proxy is refused.
import crypto from 'node:crypto';
import t from 'tap';
import { buildSyncML } from '../../src/protocol/syncml/build.js';
import { parseSyncML } from '../../src/protocol/syncml/parse.js';
import { enrollEntraDevice } from '../helpers/enrolled.js';
import { startTestServer } from '../helpers/server.js';

const M = '/ManagementServer/MDM.svc';
const CT = { 'content-type': 'application/vnd.syncml.dm+xml' };

for (const format of ['nginx', 'envoy', 'traefik', 'azure'] as const) {
  t.test(`trusted ${format} proxy`, async (t) => {
    // The test client connects from 127.0.0.1: that is the proxy's address here.
    const s = await startTestServer({ FENESTRA_TRUSTED_PROXIES: '127.0.0.1,::1', FENESTRA_PROXY_CERT_FORMAT: format });
    t.teardown(() => s.close());
    const tid = await s.connectTenant();
    const d = await enrollEntraDevice(s, tid);
    const der = new crypto.X509Certificate(d.certPem).raw;
    const b64 = der.toString('base64');
    const header: Record<string, [string, string]> = {
      nginx: ['ssl-client-cert', encodeURIComponent(d.certPem)],
      envoy: [
        'x-forwarded-client-cert',
        `Hash=${crypto.createHash('sha256').update(der).digest('hex')};Cert="${encodeURIComponent(d.certPem)}";Subject="CN=x"`,
      ],
      traefik: ['x-forwarded-tls-client-cert', b64],
      azure: ['x-arr-clientcert', b64],
    };
    const [name, value] = header[format];
    const body = buildSyncML({
      hdr: { verDTD: '1.2', verProto: 'DM/1.2', sessionId: '1', msgId: '1', targetUri: s.publicUrl + M, sourceUri: d.dev.deviceId },
      final: true,
      body: [{ kind: 'Alert', cmdId: '1', data: '1201', items: [] }],
    });
    const ok = await s.request(M, { method: 'POST', body, headers: { ...CT, [name]: value } });
    t.equal(ok.status, 200);
    t.equal((parseSyncML(ok.body).body[0] as any).data, '200', 'authenticated by the forwarded certificate');
    const other = await s.request(M, { method: 'POST', body: body.replace(d.dev.deviceId, 'ANOTHER-DEVICE'), headers: { ...CT, [name]: value } });
    t.equal(other.status, 403, 'still bound to its own device');
    const bad = await s.request(M, { method: 'POST', body, headers: { ...CT, [name]: 'garbage%%%' } });
    t.equal(bad.status, 400, 'a malformed header is refused');
  });
}
