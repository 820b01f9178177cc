// Password guessing is throttled: per client address (the attacker's) with a growing back-off,
// per account with a short one that an address which logged in before is exempt from; throttled
// requests are answered at once with a clear fault and Retry-After. OMA-DM digest likewise (429).
// Behind a trusted proxy the client address is taken from X-Forwarded-For, from anyone else never.
import t from 'tap';
import { computeMd5Cred } from '../../src/identity/digest.js';
import { buildSyncML } from '../../src/protocol/syncml/build.js';
import { parseSyncML } from '../../src/protocol/syncml/parse.js';
import { getPoliciesMessage } from '../../src/sim/enroll-messages.js';
import { readFault } from '../../src/sim/enroll-responses.js';
import { enrollEntraDevice } from '../helpers/enrolled.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const P = '/EnrollmentServer/Policy.svc';
const M = '/ManagementServer/MDM.svc';

async function policy(s: TestServer, username: string, password: string, from?: string) {
  const r = await s.soap(
    P,
    getPoliciesMessage(s.publicUrl + P, { kind: 'password', username, password }),
    from ? { headers: { 'content-type': 'application/soap+xml; charset=utf-8', 'x-forwarded-for': `203.0.113.9, ${from}` } } : {},
  );
  return { status: r.status, outcome: String(r.headers['x-fenestra-outcome']), retryAfter: r.headers['retry-after'], fault: readFault(r.text()) };
}

t.test('UsernameToken: per-address and per-account back-off behind a trusted proxy', async (t) => {
  const s = await startTestServer({ FENESTRA_TRUSTED_PROXIES: '127.0.0.1/32', FENESTRA_PROXY_CERT_FORMAT: 'nginx' });
  t.teardown(() => s.close());
  t.equal((await s.admin('POST', '/api/v1/enrollment-accounts', { username: 'alice', password: 'alice-secret-pw' })).status, 201);

  // One address guessing unknown usernames: 10 answered, then refused without hashing.
  for (let i = 0; i < 10; i++) t.equal((await policy(s, `nobody${i}`, 'guess', '10.0.0.1')).outcome, 's:Authentication');
  const held = await policy(s, 'nobody-else', 'guess', '10.0.0.1');
  t.equal(held.outcome, 'throttled', 'the guessing address is backed off');
  t.equal(held.status, 500);
  t.equal(held.fault?.subcode, 's:Authentication');
  t.match(held.fault?.reason, /Too many failed sign-in attempts; try again in \d+ seconds/);
  t.ok(Number(held.retryAfter) >= 1, `Retry-After ${held.retryAfter}`);
  t.equal((await policy(s, 'alice', 'alice-secret-pw', '10.0.0.1')).outcome, 'throttled', 'even with the right password, from that address');
  t.equal((await policy(s, 'alice', 'alice-secret-pw', '10.0.0.2')).status, 200, 'other addresses are not affected');

  // Guesses at one account from many addresses: after 5 the account backs off for a short while…
  for (let i = 0; i < 5; i++) t.equal((await policy(s, 'Alice', `wrong-${i}`, `10.0.1.${i + 1}`)).outcome, 's:Authentication');
  const acct = await policy(s, 'alice', 'alice-secret-pw', '10.0.2.1');
  t.equal(acct.outcome, 'throttled', 'the account is backed off for a new address');
  t.ok(Number(acct.retryAfter) <= 60, 'briefly');
  // …except for an address that logged in to it before: the owner is not locked out.
  t.equal((await policy(s, 'alice', 'alice-secret-pw', '10.0.0.2')).status, 200, 'a known-good address still gets in');
});

t.test('UsernameToken: X-Forwarded-For from an untrusted peer is ignored', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  for (let i = 0; i < 10; i++) t.equal((await policy(s, `nobody${i}`, 'guess', `10.1.0.${i}`)).outcome, 's:Authentication');
  t.equal((await policy(s, 'nobody', 'guess', '10.1.1.1')).outcome, 'throttled', 'a forged header does not escape the back-off');
});

t.test('OMA-DM digest: wrong responses back off the device with HTTP 429 and Retry-After', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const e = await enrollEntraDevice(s, await s.connectTenant());
  const srv = e.prov.appAuth.find((x) => x.AAUTHLEVEL === 'APPSRV')!;
  const nonce = e.prov.appAuth.find((x) => x.AAUTHLEVEL === 'CLIENT')!.AAUTHDATA;
  const target = s.publicUrl + M;
  const post = (sessionId: string, data: string) =>
    s.request(M, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.syncml.dm+xml' },
      body: buildSyncML({
        hdr: {
          verDTD: '1.2',
          verProto: 'DM/1.2',
          sessionId,
          msgId: '1',
          targetUri: target,
          sourceUri: e.dev.deviceId,
          cred: { type: 'syncml:auth-md5', format: 'b64', data },
        },
        final: true,
        body: [{ kind: 'Alert', cmdId: '1', data: '1201', items: [] }],
      }),
    });
  for (let i = 0; i < 5; i++) {
    const r = await post(String(i + 1), computeMd5Cred(srv.AAUTHNAME, `guess-${i}`, nonce));
    t.equal((parseSyncML(r.body).body[0] as { data: string }).data, '401', `guess ${i} challenged`);
  }
  const r = await post('11', computeMd5Cred(srv.AAUTHNAME, 'guess-11', nonce));
  t.equal(r.status, 429, 'then refused at once');
  t.ok(Number(r.headers['retry-after']) >= 1, 'with Retry-After');
  t.equal(r.headers['x-fenestra-outcome'], 'throttled');
  // A certificate-authenticated session from the same address is not affected.
  const ok = await s.request(M, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.syncml.dm+xml' },
    cert: e.certPem,
    key: e.keyPem,
    body: buildSyncML({
      hdr: { verDTD: '1.2', verProto: 'DM/1.2', sessionId: '12', msgId: '1', targetUri: target, sourceUri: e.dev.deviceId },
      final: true,
      body: [{ kind: 'Alert', cmdId: '1', data: '1201', items: [] }],
    }),
  });
  t.equal(ok.status, 200);
});
