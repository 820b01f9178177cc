// Email profiles → EMAIL2: pinned node list, deterministic account GUID, user scope only.
import t from 'tap';
import { compileProfile, emailAccountGuid, unitCommands, type EmailSettings } from '../../src/protocol/csp/index.js';
import { errorsOf, itemData, syncRoundTrip } from './fixtures/helpers.js';

const IMAP: EmailSettings = {
  accountId: 'contoso-imap',
  accountName: 'Contoso Mail',
  displayName: 'Alice Example',
  emailAddress: 'alice@contoso.com',
  serviceType: 'IMAP4',
  incoming: { host: 'imap.contoso.com', port: 993 },
  outgoing: { host: 'smtp.contoso.com', port: 587, ssl: true },
  userName: 'alice@contoso.com',
  password: 'P@ss&<word>',
  domain: 'CONTOSO',
  syncIntervalMinutes: 15,
  downloadDays: 30,
};

const ROOT = './User/Vendor/MSFT/EMAIL2/{2659FEC3-4325-5D09-9551-DAA64243B8E4}';

t.test('account GUID: uuid v5 of the accountId, uppercase, braces', async (t) => {
  // Python: str(uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_URL, 'urn:fenestra:csp:email2'), 'contoso-imap')).upper()
  t.equal(emailAccountGuid('contoso-imap'), '{2659FEC3-4325-5D09-9551-DAA64243B8E4}');
  t.equal(emailAccountGuid('contoso-imap'), emailAccountGuid('contoso-imap'), 'stable');
  t.not(emailAccountGuid('contoso-imap2'), emailAccountGuid('contoso-imap'), 'distinct ids, distinct accounts');
  t.equal(emailAccountGuid('{c556e16f-56c4-4edb-9c64-d9469ee1fbe0}'), '{C556E16F-56C4-4EDB-9C64-D9469EE1FBE0}', 'a GUID is used as is');
  t.equal(emailAccountGuid('c556e16f-56c4-4edb-9c64-d9469ee1fbe0'), '{C556E16F-56C4-4EDB-9C64-D9469EE1FBE0}', 'braces optional');
});

t.test('pinned: IMAP account', async (t) => {
  const p = compileProfile('email', 'user', IMAP);
  const leaf = (name: string, value: string, secret = false) => ({
    uri: `${ROOT}/${name}`,
    format: 'chr',
    value,
    ...(secret ? { secret: true } : {}),
    readBack: !secret,
  });
  t.same(p, {
    kind: 'email',
    scope: 'user',
    units: [
      {
        id: 'email:Account',
        nodes: [
          leaf('ACCOUNTTYPE', 'Email'),
          leaf('SERVICENAME', 'Contoso Mail'),
          leaf('SERVICETYPE', 'IMAP4'),
          leaf('INSERVER', 'imap.contoso.com:993'),
          leaf('OUTSERVER', 'smtp.contoso.com:587'),
          leaf('AUTHNAME', 'alice@contoso.com'),
          leaf('AUTHSECRET', 'P@ss&<word>', true),
          leaf('AUTHREQUIRED', '1'),
          leaf('DOMAIN', 'CONTOSO'),
          leaf('NAME', 'Alice Example'),
          leaf('REPLYADDR', 'alice@contoso.com'),
          leaf('LINGER', '15'),
          leaf('DWNDAY', '30'),
          leaf('TAGPROPS/8128000B', '1'),
          leaf('TAGPROPS/812C000B', '1'),
        ],
        atomic: true,
      },
    ],
    removal: [ROOT],
    requires: [],
  });
  t.same(compileProfile('email', 'user', structuredClone(IMAP)), p, 'deterministic');
  const cmds = unitCommands(p.units[0], 'install');
  t.equal(cmds.length, 1);
  t.equal(cmds[0].kind, 'Atomic', 'one Atomic');
  t.same(
    itemData(syncRoundTrip(cmds).body),
    p.units[0].nodes.map((n) => n.value),
    'values survive SyncML',
  );
});

t.test('minimal POP3 account without SSL and password', async (t) => {
  const p = compileProfile('email', 'user', {
    accountId: 'pop',
    accountName: 'POP',
    emailAddress: 'bob@contoso.com',
    serviceType: 'POP3',
    incoming: { host: 'pop.contoso.com', port: 110, ssl: false },
    outgoing: { host: 'smtp.contoso.com', port: 25, ssl: false, requiresAuthentication: false },
    userName: 'bob',
  });
  const names = p.units[0].nodes.map((n) => `${n.uri.slice(n.uri.lastIndexOf('}') + 2)}=${n.value}`);
  t.same(names, [
    'ACCOUNTTYPE=Email',
    'SERVICENAME=POP',
    'SERVICETYPE=POP3',
    'INSERVER=pop.contoso.com:110',
    'OUTSERVER=smtp.contoso.com:25',
    'AUTHNAME=bob',
    'AUTHREQUIRED=0',
    'REPLYADDR=bob@contoso.com',
    'TAGPROPS/8128000B=0',
    'TAGPROPS/812C000B=0',
  ]);
  t.ok(p.units[0].nodes.every((n) => n.format === 'chr' && !n.secret));
});

t.test('user scope only', async (t) => {
  t.same(
    errorsOf(() => compileProfile('email', 'device', IMAP)),
    [{ pointer: '/scope', message: 'EMAIL2 accounts exist only in the user tree: assign email profiles with user scope' }],
  );
  t.same(
    errorsOf(() => compileProfile('email', 'device', { ...IMAP, extra: 1 })).map((e) => e.pointer),
    ['/scope', '/extra'],
    'scope and schema problems are reported together',
  );
});

t.test('schema and semantic errors', async (t) => {
  const errs = (s: unknown) => errorsOf(() => compileProfile('email', 'user', s));
  const { userName: _u, ...noUser } = IMAP;
  t.same(errs(noUser), [{ pointer: '/userName', message: 'is required' }], 'missing field');
  t.same(errs({ ...IMAP, incoming: { host: 'imap.contoso.com', port: '993' } }), [{ pointer: '/incoming/port', message: 'must be integer' }], 'wrong type');
  t.same(errs({ ...IMAP, serviceType: 'EAS' }), [{ pointer: '/serviceType', message: 'must be one of: "IMAP4", "POP3"' }], 'enum');
  t.same(errs({ ...IMAP, downloadDays: 3 }), [{ pointer: '/downloadDays', message: 'must be one of: -1, 7, 14, 30, 90' }], 'numeric enum');
  t.same(
    errs({ ...IMAP, outgoing: { ...IMAP.outgoing, tls: true } }),
    [{ pointer: '/outgoing/tls', message: 'is not a known setting here' }],
    'additionalProperties',
  );
  t.same(
    errs({ ...IMAP, accountName: 'x'.repeat(33) }).map((e) => e.pointer),
    ['/accountName'],
    'SERVICENAME ≤ 32',
  );
  t.same(
    errs({ ...IMAP, outgoing: { host: `${'a'.repeat(60)}.com`, port: 587 } }),
    [{ pointer: '/outgoing/host', message: 'host:port of the outgoing server must be at most 62 characters (OUTSERVER)' }],
    'OUTSERVER ≤ 62',
  );
});
