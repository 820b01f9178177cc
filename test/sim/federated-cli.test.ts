// `fenestra sim --federated` (#17, rule 14): the real CLI (dist/, its own process) enrolls through
// the server's federated sign-in page, as "Enroll only in device management" does — with an
// on-premises enrollment account posted in the page's form, and with Entra ID (the page's sign-in
// followed to the tenant's authorize endpoint: a local fake OpenID provider). The server answers
// discovery with Federated and the page's address; the devices come out enrolled as the user who
// signed in. Option errors are explained in words.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { runSim } from '../../src/sim/cli.js';
import { runCli } from '../cli/run-cli.js';
import { startFakeOidc } from '../helpers/fake-oidc.js';
import { startTestServer } from '../helpers/server.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-sim-federated-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

const tenantId = crypto.randomUUID();
const clientId = crypto.randomUUID();
const clientSecret = 'S3cret~' + crypto.randomBytes(12).toString('base64url');
const PASSWORD = 'correct horse battery';

t.test('fenestra sim --federated enrolls through the sign-in page, both ways', async (t) => {
  const idp = await startFakeOidc({ tenantId, clientId, clientSecret });
  t.teardown(() => idp.close());
  const s = await startTestServer({ FENESTRA_ENTRA_AUTHORITY: idp.authority });
  t.teardown(() => s.close());
  const ca = path.join(dir, 'ca.pem');
  fs.writeFileSync(ca, s.caPem);
  const base = ['sim', '--url', s.publicUrl, '--connect', `127.0.0.1:${s.server.port}`, '--ca', ca, '--json'];
  const devices = async () =>
    ((await s.admin('GET', '/api/v1/devices')).json as { devices: { user?: { upn?: string }; tenantId?: string; enrollmentType: string }[] }).devices;

  t.equal((await s.admin('POST', '/api/v1/enrollment-accounts', { username: 'federated-user', password: PASSWORD })).status, 201);

  await t.test('an on-premises account, posted in the page', async (t) => {
    const r = await runCli([...base, '--federated', 'account', '--username', 'federated-user', '--password', PASSWORD, '--devices', '2']);
    t.equal(r.code, 0, r.code === 0 ? 'exit 0' : r.stdout + r.stderr);
    const summary = JSON.parse(r.stdout) as { enrolled: number; sessionsComplete: number; errors: unknown[] };
    t.match(summary, { enrolled: 2, sessionsComplete: 2, errors: [] });
    const mine = (await devices()).filter((d) => d.user?.upn === 'federated-user');
    t.equal(mine.length, 2, 'two devices of the account');
    t.ok(
      mine.every((d) => d.enrollmentType === 'Full' && !d.tenantId),
      'enrolled for the on-premises user (Full, no tenant)',
    );
  });

  await t.test('a wrong password: the page refuses it, exit 1 with its words', async (t) => {
    const r = await runCli([...base, '--federated', 'account', '--username', 'federated-user', '--password', 'wrong-password']);
    t.equal(r.code, 1);
    t.match(r.stdout, /not correct/);
  });

  await t.test('Entra ID, followed to the tenant’s authorize endpoint', async (t) => {
    t.equal(
      (
        await s.admin('POST', '/api/v1/tenants', {
          tenantId,
          cloud: 'standard',
          audiences: ['https://mdm.fenestra.test'],
          appClientId: clientId,
          credential: { secret: clientSecret },
        })
      ).status,
      201,
    );
    idp.user = { oid: crypto.randomUUID(), preferred_username: 'ada@contoso.test', name: 'Ada' };
    const before = idp.authorizations.length;
    const r = await runCli([...base, '--federated', 'entra', '--upn', 'ada@contoso.test', '--tenant', tenantId]);
    t.equal(r.code, 0, r.code === 0 ? 'exit 0' : r.stdout + r.stderr);
    t.match(JSON.parse(r.stdout), { enrolled: 1, sessionsComplete: 1 });
    t.equal(idp.authorizations.length, before + 1, 'one sign-in at the authorize endpoint');
    t.equal(idp.authorizations.at(-1)?.clientId, clientId, "the tenant's application");
    const ada = (await devices()).filter((d) => d.user?.upn === 'ada@contoso.test');
    t.equal(ada.length, 1, 'enrolled as the Entra user');
    t.equal(ada[0]?.tenantId, tenantId, 'in her tenant');
  });

  await t.test('Entra ID refused at the authorize endpoint: exit 1, the reason printed', async (t) => {
    idp.authorizeError = 'access_denied';
    t.teardown(() => void (idp.authorizeError = undefined));
    const r = await runCli([...base, '--federated', 'entra', '--upn', 'ada@contoso.test']);
    t.equal(r.code, 1);
    t.match(r.stdout, /access_denied/);
  });
});

t.test('--federated option errors are explained, exit code 1', async (t) => {
  const sim = async (argv: string[]) => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString('utf8')));
    return { code: await runSim(argv, out), out: text };
  };
  const url = ['--url', 'https://enterpriseenrollment.contoso.com'];
  const tokens = path.join(dir, 'tokens.txt');
  fs.writeFileSync(tokens, 'a.b.c\n');
  const cases: [string[], RegExp][] = [
    [[...url, '--federated', 'saml'], /--federated must be entra or account, got "saml"/],
    [[...url, '--federated', 'account'], /--federated account needs --username and --password/],
    [[...url, '--federated', 'account', '--username', 'u'], /--federated account needs --username and --password/],
    [[...url, '--federated', 'entra', '--username', 'u', '--password', 'p'], /no --username\/--password/],
    [[...url, '--federated', 'entra', '--entra-token-file', tokens], /either --entra-token-file or --federated/],
    [[...url, '--federated', 'entra', '--tenant', 'contoso'], /--tenant must be a tenant ID \(GUID\)/],
    [[...url, '--federated', 'account', '--username', 'u', '--password', 'p', '--tenant', tenantId], /--tenant needs --federated entra/],
    [[...url, '--federated', 'entra', '--upn', 'a b@c.d'], /--upn must be a user name/],
    [[...url, '--username', 'u', '--password', 'p', '--upn', 'u@c.d'], /--upn needs --federated/],
    [[...url, '--username', 'u', '--password', 'p', '--tenant', tenantId], /--tenant needs --federated entra/],
    [[...url, '--federated', 'entra', '--sign-in'], /--sign-in needs --entra-token-file/],
    [[...url], /--federated entra\|account/],
  ];
  for (const [argv, re] of cases) {
    const r = await sim(argv);
    t.equal(r.code, 1, `${argv.join(' ')} → exit 1`);
    t.match(r.out, re, argv.join(' '));
  }
  t.match((await sim(['--help'])).out, /--federated METHOD/);
});
