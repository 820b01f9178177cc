// DDF EMAIL2 and Microsoft's EMAIL2 samples: an account is the node ./User/Vendor/MSFT/EMAIL2/{GUID}
// — the GUID with literal braces, not %7B…%7D — in the LocURIs the server sends.
import t from 'tap';
import { compileProfile, unitCommands } from '../../src/protocol/csp/index.js';
import { syncRoundTrip } from '../csp/fixtures/helpers.js';

t.test('rule 98: EMAIL2 account nodes are {GUID} with literal braces on the wire', async (t) => {
  const p = compileProfile('email', 'user', {
    accountId: '2b4c6e8a-1f3d-4e5b-9a7c-0d2e4f6a8b1c',
    accountName: 'Contoso Mail',
    displayName: 'Alice',
    emailAddress: 'alice@contoso.com',
    serviceType: 'IMAP4',
    incoming: { host: 'imap.contoso.com', port: 993 },
    outgoing: { host: 'smtp.contoso.com', port: 587, ssl: true },
    userName: 'alice@contoso.com',
  });
  const { xml, body } = syncRoundTrip(unitCommands(p.units[0], 'install'));
  const locUris = [...xml.matchAll(/<LocURI>([^<]*)<\/LocURI>/g)].map((m) => m[1]).filter((u) => u.includes('/EMAIL2/'));
  t.ok(locUris.length >= 8, 'the account leaves are sent');
  for (const u of locUris) {
    t.match(u, /^\.\/User\/Vendor\/MSFT\/EMAIL2\/\{2B4C6E8A-1F3D-4E5B-9A7C-0D2E4F6A8B1C\}\/[A-Z0-9/]+$/, `${u}: {GUID} with braces`);
  }
  t.notMatch(xml, /%7B|%7D/i, 'no percent-encoded braces anywhere');
  t.equal(body[0].kind, 'Atomic', 'the account goes in one Atomic');
  t.same(p.removal, ['./User/Vendor/MSFT/EMAIL2/{2B4C6E8A-1F3D-4E5B-9A7C-0D2E4F6A8B1C}'], 'removal deletes the same node');
});
