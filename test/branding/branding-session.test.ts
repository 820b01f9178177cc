// Branding reaches devices through DMClient (#16): set before a device enrolls, its provisioning
// document carries it (the completion page shows at the end of the enrollment); its first
// session carries every node in one Atomic and the simulator's tree holds them; the next session
// sends nothing; after the admin changes the phone number and clears the website, the next
// session Replaces the one and Deletes the other, and nothing after that.
import crypto from 'node:crypto';
import t from 'tap';
import { SimDevice } from '../../src/sim/device.js';
import type { DmLogEntry } from '../../src/sim/dm-tree.js';
import { AUDIENCE, startTestServer } from '../helpers/server.js';

const BRANDING = {
  completePageTitle: 'Welcome to Contoso',
  completePageText: 'Your PC is ready.\nSign in with your work account.',
  completePageLinkHref: 'https://intranet.contoso.com/start?a=1&b=2',
  completePageLinkText: 'Getting started',
  helpPhoneNumber: '+1 (425) 555-0100',
  helpWebsite: 'https://help.contoso.com/',
  helpEmailAddress: 'help@contoso.com',
};

t.test('a device gets the DMClient branding nodes at its first session and again after a change', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  t.equal((await s.admin('PUT', '/api/v1/settings/branding', BRANDING)).status, 200);

  const aadDeviceId = crypto.randomUUID();
  const dev = new SimDevice({
    url: s.publicUrl,
    ca: s.caPem,
    connectTo: { host: '127.0.0.1', port: s.server.port },
    deviceId: aadDeviceId.replace(/-/g, '').toUpperCase(),
    credential: { kind: 'entra', token: () => s.entra.mintToken({ tid, aud: AUDIENCE, deviceid: aadDeviceId, upn: 'owner@contoso.com' }) },
  });
  await dev.enroll();
  const base = `./Vendor/MSFT/DMClient/Provider/${encodeURIComponent(dev.enrollment!.providerId)}`;
  const node = (n: string) => dev.tree.read(`${base}/${n}`)?.data;
  const brandingCommands = (cmds: DmLogEntry[]) =>
    cmds.filter((c) => c.kind !== 'Get' && c.targets.some((x) => x.includes('/DMClient/Provider/') && !x.includes('/Poll/')));

  // The completion page shows at the end of the enrollment: the provisioning document carried it.
  t.equal(node('CustomEnrollmentCompletePage/Title'), BRANDING.completePageTitle, 'the page from the provisioning document, before any session');
  t.equal(node('HelpPhoneNumber'), BRANDING.helpPhoneNumber, 'the help contacts too');

  const first = await dev.checkin();
  t.equal(first.outcome, 'complete', first.error ?? 'first session');
  const sent = brandingCommands(first.commands);
  // The server does not count on the document: seven Adds, each answered 418 (already there from
  // the document) and sent again as a Replace by the engine.
  t.same(sent.filter((c) => c.kind === 'Add').length, 7, 'seven Adds');
  t.ok(
    sent.every((c) => c.kind === 'Add' || c.kind === 'Replace'),
    'Adds, and Replaces of what the document had set',
  );
  t.ok(
    sent.every((c) => c.parents.length === 1),
    'inside one Atomic',
  );
  t.ok(
    first.commands.some((c) => c.kind === 'Atomic' && c.status === '200'),
    'the Atomic accepted',
  );
  t.equal(node('CustomEnrollmentCompletePage/Title'), BRANDING.completePageTitle);
  t.equal(node('CustomEnrollmentCompletePage/BodyText'), BRANDING.completePageText);
  t.equal(node('CustomEnrollmentCompletePage/HyperlinkHref'), BRANDING.completePageLinkHref, 'an & carried through XML');
  t.equal(node('CustomEnrollmentCompletePage/HyperlinkText'), BRANDING.completePageLinkText);
  t.equal(node('HelpPhoneNumber'), BRANDING.helpPhoneNumber);
  t.equal(node('HelpWebsite'), BRANDING.helpWebsite);
  t.equal(node('HelpEmailAddress'), BRANDING.helpEmailAddress);

  const second = await dev.checkin();
  t.equal(second.outcome, 'complete');
  t.same(brandingCommands(second.commands), [], 'nothing again once the device holds them');

  const changed = await s.admin('PUT', '/api/v1/settings/branding', { ...BRANDING, helpPhoneNumber: '+33 1 23 45 67 89', helpWebsite: '' });
  t.equal(changed.status, 200, JSON.stringify(changed.json));
  t.notOk('helpWebsite' in changed.json.branding, 'a cleared field is left out');
  const third = await dev.checkin();
  t.equal(third.outcome, 'complete', third.error ?? 'third session');
  t.same(
    brandingCommands(third.commands).map((c) => [c.kind, c.targets[0].split('/').pop(), c.status]),
    [
      ['Replace', 'HelpPhoneNumber', '200'],
      ['Delete', 'HelpWebsite', '200'],
    ],
    'only what changed',
  );
  t.equal(node('HelpPhoneNumber'), '+33 1 23 45 67 89');
  t.equal(node('HelpWebsite'), undefined, 'the cleared node is gone');
  t.equal(node('CustomEnrollmentCompletePage/Title'), BRANDING.completePageTitle, 'the rest untouched');

  const fourth = await dev.checkin();
  t.same(brandingCommands(fourth.commands), [], 'and nothing after that');

  // A device enrolled again (its provisioning document may have set the nodes): sent afresh, an
  // existing node answered 418 and set with Replace instead.
  await dev.enroll();
  const again = await dev.checkin();
  t.equal(again.outcome, 'complete', again.error ?? 'session after re-enrollment');
  t.ok(brandingCommands(again.commands).length > 0, 'sent again after a new enrollment');
  t.equal(node('HelpPhoneNumber'), '+33 1 23 45 67 89');
  t.same(brandingCommands((await dev.checkin()).commands), [], 'then settled');
});
