// Rule 57 (MS-MDE2 §2.2.9.3): "RemainingScheduledRetries is used for the long run device polling
// schedule. IntervalForRemainingScheduledRetries MUST NOT be smaller than 1440 minutes (24 hours)."
// The enrollment's provisioning document (an MS-MDE2 message) keeps it whatever the admin's
// check-in schedule; the admin's schedule, shorter or not, still reaches the device afterwards over
// OMA-DM (MS-MDM, DMClient CSP). Real server, simulated devices enrolling through discovery,
// policy and RST; the provisioning document is read as raw XML from the RSTR.
import crypto from 'node:crypto';
import t from 'tap';
import { type XmlElement, attr, child, children, parseXml } from '../../src/protocol/xml.js';
import { SimDevice } from '../../src/sim/device.js';
import { AUDIENCE, startTestServer } from '../helpers/server.js';

/** The specification's minimum, minutes. */
const SPEC_MINIMUM = 1440;

const POLL_NAMES = [
  'IntervalForFirstSetOfRetries',
  'NumberOfFirstRetries',
  'IntervalForSecondSetOfRetries',
  'NumberOfSecondRetries',
  'IntervalForRemainingScheduledRetries',
  'NumberOfRemainingScheduledRetries',
  'PollOnLogin',
  'AllUsersPollOnFirstLogin',
];

const byType = (el: XmlElement | undefined, type: string) => children(el, 'characteristic').find((c) => attr(c, 'type') === type);

/** The DMClient Poll parms of the provisioning document the RSTR carried (raw XML, not the simulator's reading). */
function documentPoll(dev: SimDevice): Record<string, string | undefined> {
  const e = dev.enrollment!;
  const doc = child(parseXml(e.provisioning.xml), 'wap-provisioningdoc');
  const poll = byType(byType(byType(byType(doc, 'DMClient'), 'Provider'), e.providerId), 'Poll');
  return Object.fromEntries(children(poll, 'parm').map((p) => [attr(p, 'name')!, attr(p, 'value')]));
}

/** The Poll nodes the device holds now (what Windows schedules its sessions from). */
function treePoll(dev: SimDevice): Record<string, string | undefined> {
  const base = `./Vendor/MSFT/DMClient/Provider/${encodeURIComponent(dev.enrollment!.providerId)}/Poll`;
  return Object.fromEntries(POLL_NAMES.map((n) => [n, dev.tree.read(`${base}/${n}`)?.data]));
}

const schedule = (regular: number) => ({
  firstRetries: { intervalMinutes: 2, count: 4 },
  secondRetries: { intervalMinutes: 10, count: 6 },
  regular: { intervalMinutes: regular, count: 0 },
  pollOnLogin: true,
  allUsersPollOnFirstLogin: false,
});

/** The schedule as the Poll nodes say it. */
const asPoll = (s: ReturnType<typeof schedule>) => ({
  IntervalForFirstSetOfRetries: String(s.firstRetries.intervalMinutes),
  NumberOfFirstRetries: String(s.firstRetries.count),
  IntervalForSecondSetOfRetries: String(s.secondRetries.intervalMinutes),
  NumberOfSecondRetries: String(s.secondRetries.count),
  IntervalForRemainingScheduledRetries: String(s.regular.intervalMinutes),
  NumberOfRemainingScheduledRetries: String(s.regular.count),
  PollOnLogin: String(s.pollOnLogin),
  AllUsersPollOnFirstLogin: String(s.allUsersPollOnFirstLogin),
});

t.test(
  'rule 57: the provisioning document’s long-run poll (IntervalForRemainingScheduledRetries) is at least 1440; the admin’s schedule reaches the device after',
  async (t) => {
    const s = await startTestServer();
    t.teardown(() => s.close());
    const tid = await s.connectTenant();
    const enroll = async () => {
      const aadDeviceId = crypto.randomUUID();
      const dev: SimDevice = new SimDevice({
        url: s.publicUrl,
        ca: s.caPem,
        connectTo: { host: '127.0.0.1', port: s.server.port },
        deviceId: aadDeviceId.replace(/-/g, '').toUpperCase(),
        credential: { kind: 'entra', token: () => s.entra.mintToken({ tid, aud: AUDIENCE, deviceid: aadDeviceId, upn: 'owner@contoso.com' }) },
      });
      await dev.enroll();
      return dev;
    };
    const pollCommands = (r: Awaited<ReturnType<SimDevice['checkin']>>) => r.commands.filter((c) => c.targets.some((x) => x.includes('/Poll/')));
    const deviceId = async (dev: SimDevice) => {
      const list = await s.admin('GET', '/api/v1/devices?limit=1000');
      return list.json.devices.find((d: { deviceId: string }) => d.deviceId === dev.deviceId).id as string;
    };

    for (const regular of [30, 480]) {
      t.test(`admin's long run ${regular} min: 1440 in the document, ${regular} over OMA-DM in the first session`, async (t) => {
        const admin = schedule(regular);
        t.equal((await s.admin('PUT', '/api/v1/settings/checkin-schedule', admin)).status, 200);
        const dev = await enroll();
        const doc = documentPoll(dev);
        t.equal(doc.IntervalForRemainingScheduledRetries, '1440', 'the long run at the specification’s minimum, 1440 minutes');
        t.ok(Number(doc.IntervalForRemainingScheduledRetries) >= SPEC_MINIMUM, 'not smaller than 1440');
        t.same(doc, { ...asPoll(admin), IntervalForRemainingScheduledRetries: '1440' }, 'every other Poll parm as the admin set it');
        t.same(treePoll(dev), doc, 'the device holds what the document gave');

        const first = await dev.checkin();
        t.equal(first.outcome, 'complete', first.error ?? 'first session');
        const sent = pollCommands(first);
        t.ok(sent.length > 0 && sent.every((c) => c.kind === 'Replace' && c.status === '200'), 'the Poll nodes replaced, accepted');
        t.ok(
          first.commands.some((c) => c.kind === 'Atomic' && c.status === '200' && sent.every((x) => x.parents.includes(c.cmdId))),
          'in one Atomic',
        );
        t.same(treePoll(dev), asPoll(admin), `the admin's schedule on the device: long run ${regular} minutes`);
        const detail = (await s.admin('GET', `/api/v1/devices/${await deviceId(dev)}`)).json;
        t.equal(detail.checkin.delivery.state, 'applied', 'acknowledged');
        t.same(detail.checkin.effective, admin);

        const second = await dev.checkin();
        t.equal(second.outcome, 'complete');
        t.same(pollCommands(second), [], 'held: not sent again');
      });
    }

    t.test('admin’s long run of 2880 min: the document carries it as is, nothing to correct after', async (t) => {
      const admin = schedule(2880);
      t.equal((await s.admin('PUT', '/api/v1/settings/checkin-schedule', admin)).status, 200);
      const dev = await enroll();
      t.same(documentPoll(dev), asPoll(admin), 'not lowered to the minimum');
      const first = await dev.checkin();
      t.equal(first.outcome, 'complete', first.error ?? 'first session');
      t.same(pollCommands(first), [], 'the device holds its schedule from enrollment');
      t.same(treePoll(dev), asPoll(admin));
    });
  },
);
