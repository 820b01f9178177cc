// The compliance orchestration on a real store: the background pass evaluates every device when
// policies, assignments or local groups changed and on its full-pass period (check-in windows
// close, grace periods end), writes only what changed, and queues a report for Entra when the
// value Entra should see changes (unknown: none; inGracePeriod: compliant).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import t from 'tap';
import { openStore } from '../../src/store/open.js';
import { ComplianceService } from '../../src/service/compliance/service.js';
import { COMPLIANCE_NODES } from '../../src/service/compliance/nodes.js';
import { at, audit, cert, device } from '../store/suite.js';

t.test('background pass', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-compliance-'));
  const store = await openStore({ kind: 'sqlite', file: path.join(dir, 'f.db') });
  t.teardown(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  let now = new Date(at(3 * 86_400)); // enrolled at at(0): 3 days ago
  const notified: number[] = [];
  const svc = new ComplianceService({ store, now: () => now, log: pino({ level: 'silent' }), notify: () => notified.push(1) });
  const HOUR = 3600_000;

  const joined = await store.enrollments.recordEnrollment(device({ entraDeviceId: 'entra-1', tenantId: 'tenant-1' }), cert());
  const local = await store.enrollments.recordEnrollment(device({ entraDeviceId: undefined, authMethod: 'onpremise', enrollmentType: 'Full' }), cert());
  t.equal(await svc.tick(HOUR), 0, 'no policy, no state: nothing to do');
  t.equal(await store.compliance.get(joined.id), undefined);

  await store.compliance.createPolicy(
    { id: 'checkin', name: 'Seen this week', rules: { maxDaysSinceCheckIn: 7 }, graceHours: 0, version: 1, createdAt: at(0), updatedAt: at(0) },
    audit('c', 'checkin'),
  );
  await store.compliance.assign({ policyId: 'checkin', targetType: 'all', targetId: '*', createdAt: at(0) }, audit('a', 'checkin'));
  t.equal(await svc.tick(HOUR), 2, 'the policy change: every enrolled device evaluated');
  t.match(await store.compliance.get(joined.id), { state: 'compliant', reportedCompliant: true });
  t.match(await store.compliance.get(local.id), { state: 'compliant' });
  t.equal((await store.compliance.get(local.id))?.reportedCompliant, undefined, 'a device outside Entra is not reported');
  t.match(await store.complianceOutbox.latestFor(joined.id), {
    isCompliant: true,
    isManaged: true,
    state: 'pending',
    entraDeviceId: 'entra-1',
    tenantId: 'tenant-1',
  });
  t.equal(await store.complianceOutbox.latestFor(local.id), undefined);
  t.equal(notified.length, 1, 'the outbox worker woken once');

  t.equal(await svc.tick(HOUR), 0, 'nothing changed: no pass');
  now = new Date(now.getTime() + 5 * 86_400_000); // 8 days after enrollment, never seen
  t.equal(await svc.tick(HOUR), 2, 'the full-pass period ran out: a pass');
  t.match(await store.compliance.get(joined.id), {
    state: 'noncompliant',
    reportedCompliant: false,
    reasons: [{ rule: 'maxDaysSinceCheckIn', outcome: 'fail' }],
  });
  t.match(await store.complianceOutbox.latestFor(joined.id), { isCompliant: false });
  const before = await store.compliance.get(joined.id);
  now = new Date(now.getTime() + 2 * HOUR);
  t.equal(await svc.tick(HOUR), 2);
  t.same(await store.compliance.get(joined.id), before, 'unchanged: not written again (evaluatedAt kept)');
  t.equal(notified.length, 2, 'and no new report');

  // A local group: adding the device bumps the profile generation, the next tick evaluates again.
  await store.compliance.createPolicy(
    { id: 'boot', name: 'Secure Boot', rules: { secureBoot: true }, graceHours: 24, version: 1, createdAt: at(0), updatedAt: at(0) },
    audit('c', 'boot'),
  );
  await store.compliance.unassign('checkin', 'all', '*', audit('u', 'checkin'));
  await store.groups.create({ id: 'g', name: 'lab', kind: 'device', createdAt: at(0) }, audit('g', 'g'));
  await store.compliance.assign({ policyId: 'boot', targetType: 'group', targetId: 'g', createdAt: at(0) }, audit('a', 'boot'));
  t.equal(await svc.tick(HOUR), 2);
  t.match(await store.compliance.get(joined.id), { state: 'unknown', policies: [] }, 'no policy left for it');
  t.equal((await store.complianceOutbox.latestFor(joined.id))?.isCompliant, false, 'unknown reports nothing');
  await store.groups.addMembers('g', [joined.id], audit('m', 'g'));
  t.equal(await svc.tick(HOUR), 2, 'a membership change: a pass');
  t.match(await store.compliance.get(joined.id), { state: 'unknown', policies: ['boot@1'], reasons: [{ rule: 'secureBoot', outcome: 'unknown' }] });

  // Its inventory arrives with Secure Boot off: inGracePeriod (reported compliant), then past the grace, noncompliant.
  await store.management.commitTurn({
    devicePk: joined.id,
    at: now.toISOString(),
    session: null,
    sessionId: '1',
    acks: [],
    sent: [],
    alerts: [],
    traces: [],
    enqueue: [],
    device: { inventory: { [COMPLIANCE_NODES.secureBoot]: '2' }, inventoryAt: now.toISOString() },
  });
  await svc.inventoryArrived(joined.id);
  t.match(await store.compliance.get(joined.id), { state: 'inGracePeriod', reportedCompliant: true, noncompliantSince: now.toISOString() });
  t.equal((await store.complianceOutbox.latestFor(joined.id))?.isCompliant, true, 'inGracePeriod is reported compliant');
  now = new Date(now.getTime() + 25 * HOUR);
  await svc.tick(HOUR);
  t.match(await store.compliance.get(joined.id), { state: 'noncompliant', reportedCompliant: false });
  t.equal((await store.complianceOutbox.latestFor(joined.id))?.isCompliant, false);
});
