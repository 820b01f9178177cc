// Entra join as Windows runs it: Terms of Use page (OOBE theme) → Accept → OpaqueBlob →
// enrollment carrying the blob as AdditionalContext EnrollmentData → device records acceptance.
import crypto from 'node:crypto';
import t from 'tap';
import { rstMessage } from '../../src/sim/enroll-messages.js';
import { readFault } from '../../src/sim/enroll-responses.js';
import { newTestDevice } from '../helpers/device.js';
import { AUDIENCE, startTestServer, type TestServer } from '../helpers/server.js';

const E = '/EnrollmentServer/Enrollment.svc';
const REDIRECT = 'ms-appx-web://Microsoft.AAD.BrokerPlugin/ToUResponse';

async function acceptTerms(s: TestServer, token: string): Promise<string> {
  const q = new URLSearchParams({ redirect_uri: REDIRECT, 'client-request-id': crypto.randomUUID(), 'api-version': '1.0', mode: 'azureadjoin' });
  const page = await s.request(`/EnrollmentServer/TermsOfUse?${q}`, { headers: { authorization: `Bearer ${token}`, 'CXH-HOST': 'FRX' } });
  if (page.status !== 200) throw new Error(`terms page ${page.status}`);
  const html = page.text();
  if (/value="decline"/.test(html)) throw new Error('Decline shown during Entra join');
  const state = /name="state" value="([^"]+)"/.exec(html)![1].replace(/&amp;/g, '&');
  const post = await s.request('/EnrollmentServer/TermsOfUse', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ state, decision: 'accept' }).toString(),
  });
  if (post.status !== 302) throw new Error(`accept gave ${post.status}`);
  const loc = new URL(String(post.headers.location));
  if (loc.searchParams.get('IsAccepted') !== 'true') throw new Error('not accepted');
  return loc.searchParams.get('OpaqueBlob')!;
}

t.test('terms of use to enrollment', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const oid = crypto.randomUUID();
  const touToken = await s.entra.mintToken({ tid, aud: AUDIENCE, oid, upn: 'carol@contoso.com' });
  const blob = await acceptTerms(s, touToken);
  t.ok(blob.length > 20, 'OpaqueBlob issued');

  const enroll = async (o: { oid: string; blob: string }) => {
    const dev = newTestDevice();
    const jwt = await s.entra.mintToken({ tid, aud: AUDIENCE, oid: o.oid, upn: 'carol@contoso.com', deviceid: dev.entraDeviceId });
    const r = await s.soap(
      E,
      rstMessage(
        s.publicUrl + E,
        { kind: 'entra', jwt },
        {
          requestType: 'Issue',
          tokenBase64: dev.csrBase64(),
          context: dev.context([
            ['EnrollmentType', 'Device'],
            ['EnrollmentData', o.blob],
          ]),
        },
      ),
    );
    return { r, dev };
  };

  const ok = await enroll({ oid, blob });
  t.equal(ok.r.status, 200, 'enrolled with the blob');
  const d = (await s.admin('GET', `/api/v1/devices/${ok.dev.deviceId}`)).json;
  t.ok(d.termsAcceptedAt, 'acceptance recorded on the device');
  t.ok(Math.abs(Date.parse(d.termsAcceptedAt) - Date.now()) < 60_000);

  const other = await enroll({ oid: crypto.randomUUID(), blob });
  const f = readFault(other.r.text());
  t.equal(f?.subcode, 's:Authorization', 'a blob accepted by another user is refused');
  t.equal(f?.errorType, 'InvalidEnrollmentData');

  const forged = await enroll({ oid, blob: blob.slice(0, -4) + 'AAAA' });
  t.equal(readFault(forged.r.text())?.errorType, 'InvalidEnrollmentData', 'a tampered blob is refused');
});
