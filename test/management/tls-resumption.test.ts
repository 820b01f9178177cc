// Devices resume their TLS session between check-ins (as Windows does). The client certificate
// travels inside the resumed session; fenestra still checks it against the store on every
// request, so a certificate revoked since the session was made gets nothing.
import t from 'tap';
import { SimDevice } from '../../src/sim/device.js';
import { startTestServer } from '../helpers/server.js';

t.test('resumed TLS sessions: accepted while the certificate is active, refused once revoked', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  t.equal((await s.admin('POST', '/api/v1/enrollment-accounts', { username: 'resume@contoso.com', password: 'resume-password-1' })).status, 201);
  const dev = await SimDevice.create({
    url: s.publicUrl,
    ca: s.caPem,
    connectTo: { host: '127.0.0.1', port: s.server.port },
    credential: { kind: 'password', username: 'resume@contoso.com', password: 'resume-password-1' },
  });
  await dev.enroll();
  t.equal((await dev.checkin()).outcome, 'complete');
  const before = dev.tlsStats.resumed;
  const again = await dev.checkin();
  t.equal(again.outcome, 'complete');
  t.ok(dev.tlsStats.resumed > before, 'the second check-in resumed the TLS session');

  await dev.unenroll(); // 1226: the server revokes the certificate
  (dev as unknown as { state: string }).state = 'enrolled'; // the device does not know (or lies)
  const resumedBefore = dev.tlsStats.resumed;
  const refused = await dev.checkin().catch((e: Error) => e);
  t.ok(dev.tlsStats.resumed > resumedBefore, 'it resumed the session made with the revoked certificate');
  const text = refused instanceof Error ? refused.message : `${refused.outcome} ${refused.httpStatuses.join(',')} ${refused.error ?? ''}`;
  t.match(text, /403/, `refused: ${text}`);
});
