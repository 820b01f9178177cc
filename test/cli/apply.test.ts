// fenestra apply against a real server: the diff first, idempotent (a second run has nothing to
// do), exactly the changed profile shown, secrets compared by fingerprint and never printed,
// --dry-run changes nothing, --prune only when asked, and a bad file named by the path of its key.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { startTestServer } from '../helpers/server.js';
import { runCliHere } from './run-cli.js';

const s = await startTestServer();
t.teardown(() => s.close());
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-cli-apply-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const caFile = path.join(dir, 'ca.pem');
fs.writeFileSync(caFile, s.caPem);
const conn = ['--url', `https://127.0.0.1:${s.server.port}`, '--token', s.adminToken, '--ca', caFile];
const file = path.join(dir, 'fleet.yaml');
// In this process: the plan and its printing are under test, not the process (test/cli/help.test.ts has that).
const apply = (...args: string[]) => runCliHere(['apply', '-f', file, ...args, ...conn]);

const TENANT = '6a1e2b3c-0000-4000-8000-000000000001';
const fleet = (o: { ssid?: string; passphrase?: string; members?: string[]; extraGroup?: boolean } = {}) => `
tenants:
  - tenantId: ${TENANT}
    audiences: [https://mdm.fenestra.test]
groups:
  - name: Sales
    kind: user
    members: [${(o.members ?? ['alice@contoso.com', 'Bob@contoso.com']).join(', ')}]
${o.extraGroup === false ? '' : '  - name: Finance\n    kind: user\n'}
profiles:
  - name: Office Wi-Fi
    kind: wifi
    scope: user
    settings:
      ssid: ${o.ssid ?? 'Contoso'}
      security: WPA2PSK
      passphrase: ${o.passphrase ?? 'correct horse battery'}
    assignments:
      - group: Sales
      - user: carol@contoso.com
  - name: Guest Wi-Fi
    kind: wifi
    scope: device
    settings: { ssid: Guest, security: open }
    assignments: [all]
`;

/** What the server holds, to compare before and after. */
async function snapshot() {
  const [tenants, groups, profiles, audit] = await Promise.all(
    ['/api/v1/tenants', '/api/v1/groups', '/api/v1/profiles', '/api/v1/audit'].map((p) => s.admin('GET', p)),
  );
  return { tenants: tenants.json, groups: groups.json, profiles: profiles.json, audit: audit.json.entries.length };
}

t.test('dry run on an empty server: the whole plan, nothing changed', async (t) => {
  fs.writeFileSync(file, fleet());
  const before = await snapshot();
  const r = await apply('--dry-run');
  t.equal(r.code, 0, r.stderr);
  t.equal(
    r.stdout,
    [
      'would change (8):',
      `  + tenant ${TENANT} (standard, audiences https://mdm.fenestra.test)`,
      '  + group "Sales" (user, 2 members)',
      '  + group "Finance" (user, 0 members)',
      '  + profile "Office Wi-Fi" (wifi, user scope)',
      '  + profile "Guest Wi-Fi" (wifi, device scope)',
      '  + assignment "Office Wi-Fi" → group "Sales"',
      '  + assignment "Office Wi-Fi" → user carol@contoso.com',
      '  + assignment "Guest Wi-Fi" → all',
      '',
    ].join('\n'),
  );
  t.same(await snapshot(), before, 'nothing changed on the server, not even an audit entry');
  t.notOk(fs.existsSync(`${file}.state.json`), 'no state written by a dry run');
});

t.test('apply, then apply again: no changes', async (t) => {
  const r = await apply();
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^changes \(8\):\n[\s\S]*applied 8 changes\n$/);
  const profiles = (await s.admin('GET', '/api/v1/profiles')).json as { id: string; name: string }[];
  const office = profiles.find((p) => p.name === 'Office Wi-Fi')!;
  const full = (await s.admin('GET', `/api/v1/profiles/${office.id}`)).json;
  const sales = ((await s.admin('GET', '/api/v1/groups')).json as { id: string; name: string }[]).find((g) => g.name === 'Sales')!;
  t.same(full.assignments.map((a: { targetType: string; targetId: string }) => `${a.targetType}:${a.targetId}`).sort(), [
    `group:${sales.id}`,
    'user:carol@contoso.com',
  ]);
  t.same((await s.admin('GET', `/api/v1/groups/${sales.id}`)).json.members.sort(), ['alice@contoso.com', 'bob@contoso.com']);
  const state = fs.readFileSync(`${file}.state.json`, 'utf8');
  t.notMatch(state, /correct horse/, 'the state file holds no secret');
  const again = await apply();
  t.equal(again.code, 0, again.stderr);
  t.equal(again.stdout, 'no changes\n', 'the masked passphrase is not a change: its fingerprint matches');
});

t.test('one profile changed: the diff shows exactly it, and applying it converges', async (t) => {
  fs.writeFileSync(file, fleet({ ssid: 'Contoso-2' }));
  const before = await snapshot();
  const dry = await apply('--dry-run');
  t.equal(dry.stdout, 'would change (1):\n  ~ profile "Office Wi-Fi": settings.ssid: "Contoso" → "Contoso-2"\n');
  t.same(await snapshot(), before, '--dry-run changed nothing');
  const r = await apply();
  t.equal(r.code, 0, r.stderr);
  const office = ((await s.admin('GET', '/api/v1/profiles')).json as { name: string; version: number; settings: { ssid: string } }[]).find(
    (p) => p.name === 'Office Wi-Fi',
  )!;
  t.equal(office.settings.ssid, 'Contoso-2');
  t.equal(office.version, 2);
  t.equal((await apply()).stdout, 'no changes\n');
});

t.test('a changed secret is a change, never printed; without the state file a secret counts as changed', async (t) => {
  fs.writeFileSync(file, fleet({ ssid: 'Contoso-2', passphrase: 'a brand new passphrase' }));
  const r = await apply();
  t.equal(r.stdout, 'changes (1):\n  ~ profile "Office Wi-Fi": settings.passphrase: secret changed\napplied 1 change\n');
  t.notMatch(r.stdout + r.stderr, /brand new/);
  t.equal((await apply()).stdout, 'no changes\n');
  fs.rmSync(`${file}.state.json`);
  t.equal((await apply('--dry-run')).stdout, 'would change (1):\n  ~ profile "Office Wi-Fi": settings.passphrase: secret changed\n');
});

t.test('lists given are whole lists; objects left out are kept unless --prune', async (t) => {
  fs.writeFileSync(
    file,
    fleet({ ssid: 'Contoso-2', passphrase: 'a brand new passphrase', members: ['alice@contoso.com', 'dave@contoso.com'], extraGroup: false }),
  );
  const r = await apply();
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, '  ~ group "Sales": + member dave@contoso.com, - member bob@contoso.com\n');
  t.notMatch(r.stdout, /Finance/, 'a group the file no longer has is kept');
  const pruned = await apply('--prune', '--dry-run');
  t.equal(pruned.stdout, 'would change (1):\n  - group "Finance" (user)\n');
  t.equal((await apply('--prune')).code, 0);
  t.notOk(((await s.admin('GET', '/api/v1/groups')).json as { name: string }[]).some((g) => g.name === 'Finance'));
  t.equal((await apply('--prune')).stdout, 'no changes\n');
});

t.test('a bad file: every problem with the path of its key, nothing changed', async (t) => {
  const before = await snapshot();
  fs.writeFileSync(
    file,
    'groups:\n  - name: A\n    kind: robot\nprofiles:\n  - name: X\n    kind: wifi\n    scope: device\n    setings: {}\n    assignments: [everyone]\n  - name: X\n    kind: wifi\n    scope: user\n    settings: {}\n',
  );
  const r = await apply();
  t.equal(r.code, 1);
  t.equal(
    r.stderr,
    [
      `fenestra apply: ${file} is not valid:`,
      '  groups[0].kind: must be one of user, device (/groups/0/kind)',
      '  profiles[0].settings: is required (/profiles/0/settings)',
      '  profiles[0].setings: unknown key (/profiles/0/setings)',
      '  profiles[0].assignments[0]: an assignment is "all" or one of {user: …}, {group: …}, {device: …}, {entraGroup: …, tenantId?: …} (/profiles/0/assignments/0)',
      '',
    ].join('\n'),
  );
  fs.writeFileSync(
    file,
    'profiles:\n  - name: X\n    kind: wifi\n    scope: user\n    settings: {}\n  - name: X\n    kind: wifi\n    scope: user\n    settings: {}\n',
  );
  t.match((await apply()).stderr, 'profiles[1].name: duplicate of profiles[0] (/profiles/1/name)');
  fs.writeFileSync(file, 'profiles: [\n  - name: X\n');
  const syntax = await apply();
  t.equal(syntax.code, 1);
  t.match(syntax.stderr, /fleet\.yaml \(line 2, column 3\)/);
  // What only the server can check: its pointer, read into the file's path.
  fs.writeFileSync(file, 'profiles:\n  - name: Bad\n    kind: wifi\n    scope: device\n    settings: {ssid: x, security: nope}\n');
  const refused = await apply();
  t.equal(refused.code, 1);
  t.match(refused.stderr, /the server refused profiles\[0\]\.settings\.security: 400 invalid/);
  fs.writeFileSync(file, 'profiles:\n  - name: Guest Wi-Fi\n    kind: wifi\n    scope: user\n    settings: {ssid: Guest, security: open}\n');
  t.match((await apply()).stderr, 'profiles[0].scope: profile "Guest Wi-Fi" exists with scope device: it cannot change');
  fs.writeFileSync(
    file,
    'profiles:\n  - name: Guest Wi-Fi\n    kind: wifi\n    scope: device\n    settings: {ssid: Guest, security: open}\n    assignments: [{device: NO-SUCH-DEVICE}, {group: Nobody}]\n',
  );
  const unknown = await apply();
  t.equal(unknown.code, 1);
  t.match(unknown.stderr, 'profiles[0].assignments[0].device: no device NO-SUCH-DEVICE on the server (/profiles/0/assignments/0/device)');
  fs.writeFileSync(
    file,
    'profiles:\n  - name: Guest Wi-Fi\n    kind: wifi\n    scope: device\n    settings: {ssid: Guest, security: open}\n    assignments: [{group: Nobody}]\n',
  );
  t.match((await apply()).stderr, 'profiles[0].assignments[0].group: no group "Nobody" on the server or in the file');
  const after = await snapshot();
  t.same(after, before, 'nothing changed on the server');
});
