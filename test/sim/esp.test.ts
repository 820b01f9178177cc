// The simulator's Enrollment Status Page (src/sim/esp.ts) against its DM tree: the FirstSyncStatus
// nodes exist with Windows' defaults, the Expected* lists are read with the protocol parser, each
// item is done/failed as the tree says, ServerHasFinishedProvisioning ends the page, the device's
// TimeOutUntilSyncFailure ends it with CustomErrorText on a clock the test moves.
import t from 'tap';
import { CSP_LIST_DELIMITER } from '../../src/protocol/csp/esp.js';
import type { ItemCommand } from '../../src/protocol/syncml/types.js';
import { addProvider, defaultInventory, windowsTree } from '../../src/sim/dm-tree.js';
import { SimEsp, WINDOWS_DEFAULT_ERROR_TEXT, describeEsp } from '../../src/sim/esp.js';

const FSS = './Device/Vendor/MSFT/DMClient/Provider/fenestra/FirstSyncStatus';
const UFSS = './User/Vendor/MSFT/DMClient/Provider/fenestra/FirstSyncStatus';
const WIFI = './Device/Vendor/MSFT/WiFi/Profile/Corp';
const ROOT_CERT = './Device/Vendor/MSFT/RootCATrustedCertificates/Root/ABCDEF0123';
const MSI = './Device/Vendor/MSFT/EnterpriseDesktopAppManagement/MSI/{11111111-2222-3333-4444-555555555555}/Status';

const cmd = (kind: ItemCommand['kind'], target: string, data: string, format = 'chr'): ItemCommand => ({
  kind,
  cmdId: '1',
  items: [{ target, data, meta: { format } }],
});

function setup() {
  const clock = { now: new Date('2026-12-06T10:00:00Z') };
  const tree = windowsTree(defaultInventory('DEV1'));
  addProvider(tree, { providerId: 'fenestra', enrollmentType: 'Device' });
  let session = 0;
  const esp = new SimEsp({ tree, now: () => clock.now, providerId: () => 'fenestra', session: () => session });
  const advance = (min: number) => (clock.now = new Date(clock.now.getTime() + min * 60_000));
  return { tree, esp, clock, advance, next: () => ++session };
}

t.test('the FirstSyncStatus nodes exist with their defaults; Replace and Add of the lists answer 200', async (t) => {
  const { tree, esp } = setup();
  esp.startDevicePhase();
  t.same(tree.read(`${FSS}/TimeOutUntilSyncFailure`), { format: 'int', data: '60' });
  t.same(tree.read(`${FSS}/ServerHasFinishedProvisioning`), { format: 'bool', data: 'false' });
  t.equal(tree.execute(cmd('Replace', `${FSS}/ExpectedPolicies`, ROOT_CERT)).status, '200');
  t.equal(tree.execute(cmd('Add', `${FSS}/ExpectedNetworkProfiles`, WIFI)).status, '200', 'Add overwrites the empty list');
  t.equal(tree.execute(cmd('Replace', `${FSS}/CustomErrorText`, 'Call the helpdesk')).status, '200');
  tree.setUser('user-a');
  t.equal(tree.read(`${UFSS}/ServerHasFinishedProvisioning`)?.data, 'false', "a user's tree gets the nodes too");
  t.notOk(tree.has(`${UFSS}/TimeOutUntilSyncFailure`), 'the time-out is a device node only');
  t.equal(tree.execute(cmd('Replace', `${UFSS}/ExpectedPolicies`, ROOT_CERT)).status, '200');
});

t.test('device phase: items done as the tree fills, ServerHasFinishedProvisioning ends it', async (t) => {
  const { tree, esp, advance, next } = setup();
  esp.startDevicePhase();
  next();
  tree.execute(cmd('Replace', `${FSS}/ExpectedPolicies`, ROOT_CERT));
  tree.execute(cmd('Replace', `${FSS}/ExpectedNetworkProfiles`, WIFI));
  tree.execute(cmd('Replace', `${FSS}/ExpectedMSIAppPackages`, `${MSI};1`));
  tree.execute(cmd('Replace', `${FSS}/TimeOutUntilSyncFailure`, '30', 'int'));
  let p = esp.phase()!;
  t.equal(p.status, 'in-progress');
  t.same(
    p.items.map((i) => [i.category, i.status, i.count]),
    [
      ['policies', 'pending', undefined],
      ['network', 'pending', undefined],
      ['apps', 'pending', 1],
    ],
  );
  t.equal(p.timeoutMinutes, 30);
  t.equal(p.deadline, '2026-12-06T10:30:00.000Z');
  tree.execute(cmd('Add', `${ROOT_CERT}/EncodedCertificate`, 'MIIB', 'b64'));
  tree.execute(cmd('Add', `${WIFI}/WlanXml`, '<WLANProfile/>'));
  advance(5);
  tree.set(MSI, { format: 'int', value: '50' });
  p = esp.phase()!;
  t.same(
    p.items.map((i) => i.status),
    ['done', 'done', 'pending'],
  );
  // The server says it has finished too early: the page ends, and the sim says what was not done.
  next();
  tree.execute(cmd('Replace', `${FSS}/ServerHasFinishedProvisioning`, 'true', 'bool'));
  tree.set(MSI, { format: 'int', value: '70' });
  p = esp.phase()!;
  t.equal(p.status, 'done');
  t.same(p.notDoneAtServerFinish, [MSI], 'evaluated at the moment the Replace arrived: the MSI job was not installed yet');
  t.equal(p.items[2].status, 'pending', 'a closed page is not evaluated again');
  t.equal(p.finishedAt, '2026-12-06T10:05:00.000Z');
  t.equal(tree.read(`${FSS}/IsSyncDone`)?.data, 'true');
  t.equal(tree.read(`${FSS}/WasDeviceSuccessfullyProvisioned`)?.data, '1');
  t.same(
    p.events.map((e) => [e.type, e.session]),
    [
      ['started', 0],
      ['declared', 1],
      ['declared', 1],
      ['declared', 1],
      ['item-done', 1],
      ['item-done', 1],
      ['server-finished', 2],
      ['done', 2],
    ],
  );
  t.match(p.events[6].detail, /not done: .*MSI/);
  // Later declarations are noticed, and change nothing.
  tree.execute(cmd('Replace', `${FSS}/ExpectedPolicies`, ROOT_CERT));
  t.equal(esp.phase()!.status, 'done');
  t.equal(esp.phase()!.events.at(-1)?.type, 'declared-after-end');
  t.match(describeEsp(esp.phases).join('\n'), /ESP device: done \(2\/3 items done/);
});

t.test('a failed app waits for the time-out, then CustomErrorText', async (t) => {
  const { tree, esp, advance } = setup();
  esp.startDevicePhase();
  tree.execute(cmd('Replace', `${FSS}/ExpectedMSIAppPackages`, `${MSI};1`));
  tree.execute(cmd('Replace', `${FSS}/TimeOutUntilSyncFailure`, '10', 'int'));
  tree.execute(cmd('Replace', `${FSS}/CustomErrorText`, 'Contoso apps failed. Call 555-0100.'));
  tree.set(MSI, { format: 'int', value: '60' });
  let p = esp.phase()!;
  t.equal(p.items[0].status, 'failed');
  t.equal(p.items[0].detail, 'MSI Status 60');
  t.equal(p.status, 'in-progress', 'a failed item does not end the page');
  advance(9);
  t.equal(esp.phase()!.status, 'in-progress');
  advance(1);
  p = esp.phase()!;
  t.equal(p.status, 'timed-out');
  t.equal(p.errorText, 'Contoso apps failed. Call 555-0100.');
  t.equal(p.finishedAt, '2026-12-06T10:10:00.000Z');
  t.equal(tree.read(`${FSS}/WasDeviceSuccessfullyProvisioned`)?.data, '0');
  // Too late: the server's finish does not undo the failure.
  tree.execute(cmd('Replace', `${FSS}/ServerHasFinishedProvisioning`, 'true', 'bool'));
  t.equal(esp.phase()!.status, 'timed-out');
  t.match(describeEsp(esp.phases)[0], /timed-out .*Contoso apps failed/);
});

t.test("user phase: the user's lists and error text, the device's time-out, only at the first sign-in", async (t) => {
  const { tree, esp, advance } = setup();
  esp.startDevicePhase();
  tree.execute(cmd('Replace', `${FSS}/ServerHasFinishedProvisioning`, 'true', 'bool'));
  t.equal(esp.phase()!.status, 'done');
  tree.setUser('user-a');
  esp.userSignedIn('user-a');
  const upol = './User/Vendor/MSFT/Policy/Config/Browser/HomePages';
  tree.execute(cmd('Replace', `${UFSS}/ExpectedPolicies`, [upol, WIFI].join(CSP_LIST_DELIMITER)));
  tree.execute(cmd('Replace', `${UFSS}/CustomErrorText`, 'User setup failed'));
  tree.setUser(null);
  let p = esp.phase('user-a')!;
  t.same(
    p.items.map((i) => i.uri),
    [upol, WIFI],
  );
  tree.setUser('user-b');
  tree.execute(cmd('Add', upol, 'https://b'));
  tree.setUser(null);
  t.equal(esp.phase('user-a')!.items[0].status, 'pending', "another user's tree does not count");
  tree.execute(cmd('Add', `${WIFI}/WlanXml`, '<WLANProfile/>'));
  t.equal(esp.phase('user-a')!.items[1].status, 'done', 'a device LocURI in the user list is read in the device tree');
  advance(60);
  p = esp.phase('user-a')!;
  t.equal(p.status, 'timed-out');
  t.equal(p.errorText, 'User setup failed');
  esp.userSignedIn('user-a');
  t.equal(esp.phases.filter((x) => x.user === 'user-a').length, 1, 'not again for the same user');
  esp.userSignedIn('user-b');
  t.equal(esp.phase('user-b')!.status, 'not-declared', 'no page before the server writes one');
  tree.setUser('user-b');
  tree.execute(cmd('Replace', `${UFSS}/AllowCollectLogsButton`, 'true', 'bool'));
  tree.setUser(null);
  t.equal(esp.phase('user-b')!.status, 'in-progress', 'a declaration without items still shows the page');
  advance(60);
  t.equal(esp.phase('user-b')!.status, 'timed-out');
  t.equal(esp.phase('user-b')!.errorText, WINDOWS_DEFAULT_ERROR_TEXT, "no error text anywhere: Windows' own");
});

t.test('skip flags, unreadable lists', async (t) => {
  const { tree, esp } = setup();
  esp.startDevicePhase();
  tree.execute(cmd('Replace', `${FSS}/ExpectedMSIAppPackages`, `${MSI}`));
  tree.execute(cmd('Replace', `${FSS}/ExpectedPolicies`, `Vendor/MSFT/NotALocUri${CSP_LIST_DELIMITER}${ROOT_CERT}`));
  const p = esp.phase()!;
  t.equal(p.errors.length, 2);
  t.match(p.errors[0], /ExpectedPolicies: not a LocURI/);
  t.match(p.errors[1], /ExpectedMSIAppPackages: expected "<LocURI>;<count>"/);
  t.match(describeEsp(esp.phases).join('\n'), /unreadable ExpectedPolicies/);
  tree.execute(cmd('Replace', `${FSS}/SkipUserStatusPage`, 'true', 'bool'));
  esp.userSignedIn('user-a');
  t.equal(esp.phase('user-a')!.status, 'skipped');
  tree.execute(cmd('Replace', `${FSS}/SkipDeviceStatusPage`, 'true', 'bool'));
  t.equal(esp.phase()!.status, 'skipped');
});

t.test('a server that declares nothing: no page, nothing times out, nothing printed', async (t) => {
  const { esp, advance } = setup();
  esp.startDevicePhase();
  esp.userSignedIn('user-a');
  advance(24 * 60);
  t.same(
    esp.phases.map((p) => [p.user, p.status]),
    [
      ['', 'not-declared'],
      ['user-a', 'not-declared'],
    ],
  );
  t.same(describeEsp(esp.phases), []);
});
