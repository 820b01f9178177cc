// The compliance evaluation, rule by rule: pass, fail with what was expected and reported, and
// unknown when the device did not report the node (never noncompliant for that); then the
// device's state across policies and the grace period.
import t from 'tap';
import { evaluate, type DeviceFacts } from '../../src/service/compliance/evaluate.js';
import { COMPLIANCE_NODES as N, helloNode } from '../../src/service/compliance/nodes.js';
import type { CompliancePolicy, ComplianceRules } from '../../src/domain/compliance.js';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const policy = (rules: ComplianceRules, o: Partial<CompliancePolicy> = {}): CompliancePolicy => ({
  id: 'p1',
  name: 'P',
  rules,
  graceHours: 0,
  version: 1,
  createdAt: NOW.toISOString(),
  updatedAt: NOW.toISOString(),
  ...o,
});
const facts = (inventory: Record<string, string>, o: Partial<DeviceFacts> = {}): DeviceFacts => ({
  inventory,
  tenantId: 'tenant-1',
  lastSeenAt: NOW.toISOString(),
  enrolledAt: '2026-01-01T00:00:00.000Z',
  ...o,
});
const run = (rules: ComplianceRules, inventory: Record<string, string>, o: Partial<DeviceFacts> = {}) => evaluate([policy(rules)], facts(inventory, o), NOW);

t.test('minOsBuild: dotted parts compared as numbers, a shorter minimum compares its own parts', async (t) => {
  t.equal(run({ minOsBuild: '10.0.22631' }, { [N.osBuild]: '10.0.22631.2861' }).state, 'compliant');
  t.equal(run({ minOsBuild: '10.0.9200' }, { [N.osBuild]: '10.0.19045.1' }).state, 'compliant', 'numbers, not text');
  const r = run({ minOsBuild: '10.0.22631.3000' }, { [N.osBuild]: '10.0.22631.2861' });
  t.equal(r.state, 'noncompliant');
  t.same(r.reasons, [{ policyId: 'p1', rule: 'minOsBuild', outcome: 'fail', expected: 'OS build 10.0.22631.3000 or later', actual: '10.0.22631.2861' }]);
  t.equal(run({ minOsBuild: '10.0.22631' }, {}).state, 'unknown', 'not reported: unknown');
  t.equal(run({ minOsBuild: '10.0.22631' }, { [N.osBuild]: 'banana' }).state, 'unknown', 'unreadable: unknown');
});

const statusRules: [keyof ComplianceRules, string, string, string, string][] = [
  ['bitLocker', N.encryption, '1', '0', 'not encrypted (0)'],
  ['antivirus', N.antivirus, '0', '1', 'disabled (1)'],
  ['antivirusSignatures', N.antivirusSignatures, '1', '0', 'out of date (0)'],
  ['firewall', N.firewall, '0', '2', 'not monitoring all networks (2)'],
  ['secureBoot', N.secureBoot, '1', '2', 'disabled (2)'],
];
for (const [rule, node, good, bad, actual] of statusRules) {
  t.test(`${rule}: ${node}`, async (t) => {
    t.equal(run({ [rule]: true }, { [node]: good }).state, 'compliant');
    const r = run({ [rule]: true }, { [node]: bad });
    t.equal(r.state, 'noncompliant');
    t.equal(r.reasons[0].rule, rule);
    t.equal(r.reasons[0].actual, actual);
    const u = run({ [rule]: true }, {});
    t.equal(u.state, 'unknown');
    t.equal(u.reasons[0].outcome, 'unknown');
    t.equal(run({ [rule]: false }, { [node]: bad }).state, 'compliant', 'a rule set to false is not checked');
  });
}

t.test('minTpmVersion: the specification version of DeviceStatus/TPM', async (t) => {
  t.equal(run({ minTpmVersion: '2.0' }, { [N.tpm]: '2.0, 0, 1.38' }).state, 'compliant');
  const old = run({ minTpmVersion: '2.0' }, { [N.tpm]: '1.2, 2, 3' });
  t.equal(old.state, 'noncompliant');
  t.equal(old.reasons[0].actual, '1.2');
  t.equal(run({ minTpmVersion: '2.0' }, { [N.tpm]: '' }).reasons[0].actual, 'no TPM');
  t.equal(run({ minTpmVersion: '2.0' }, {}).state, 'unknown');
});

t.test("windowsHello: the Hello for Business policy of the device's tenant", async (t) => {
  t.equal(run({ windowsHello: true }, { [helloNode('tenant-1')]: 'true' }).state, 'compliant');
  t.equal(run({ windowsHello: true }, { [helloNode('tenant-1')]: 'false' }).state, 'noncompliant');
  t.equal(run({ windowsHello: true }, { [helloNode('other')]: 'true' }).state, 'unknown', "another tenant's node is not this device's policy");
  t.equal(run({ windowsHello: true }, { [helloNode('tenant-1')]: 'true' }, { tenantId: undefined }).state, 'unknown', 'no tenant: unknown');
});

t.test('maxDaysSinceCheckIn: last seen, else enrolled', async (t) => {
  t.equal(run({ maxDaysSinceCheckIn: 7 }, {}, { lastSeenAt: '2026-05-26T12:00:00.000Z' }).state, 'compliant');
  const r = run({ maxDaysSinceCheckIn: 7 }, {}, { lastSeenAt: '2026-05-20T00:00:00.000Z' });
  t.equal(r.state, 'noncompliant');
  t.match(r.reasons[0].actual, /2026-05-20/);
  t.equal(run({ maxDaysSinceCheckIn: 7 }, {}, { lastSeenAt: undefined }).state, 'noncompliant', 'never seen since enrolled in January');
});

t.test('state across policies: a failure wins over unknown, unknown over compliant; no policy is unknown', async (t) => {
  const inv = { [N.firewall]: '0', [N.osBuild]: '10.0.19045.1' };
  const a = policy({ firewall: true }, { id: 'a' });
  const b = policy({ secureBoot: true }, { id: 'b' });
  const c = policy({ minOsBuild: '10.0.22000' }, { id: 'c', version: 3 });
  t.equal(evaluate([a], facts(inv), NOW).state, 'compliant');
  t.equal(evaluate([a, b], facts(inv), NOW).state, 'unknown');
  const r = evaluate([a, b, c], facts(inv), NOW);
  t.equal(r.state, 'noncompliant');
  t.same(
    r.reasons.map((x) => [x.policyId, x.rule, x.outcome]),
    [
      ['b', 'secureBoot', 'unknown'],
      ['c', 'minOsBuild', 'fail'],
    ],
  );
  t.same(r.policies, ['a@1', 'b@1', 'c@3']);
  t.same(evaluate([], facts(inv), NOW), { state: 'unknown', reasons: [], policies: [] });
});

t.test('grace period: noncompliant since the first failure, inGracePeriod until the smallest grace of the failing policies ends', async (t) => {
  const inv = { [N.firewall]: '1' };
  const p = policy({ firewall: true }, { graceHours: 24 });
  const first = evaluate([p], facts(inv), NOW);
  t.equal(first.state, 'inGracePeriod');
  t.equal(first.noncompliantSince, NOW.toISOString());
  const later = new Date(NOW.getTime() + 23 * 3600_000);
  t.equal(evaluate([p], facts(inv), later, first).state, 'inGracePeriod');
  const after = new Date(NOW.getTime() + 24 * 3600_000);
  const over = evaluate([p], facts(inv), after, first);
  t.equal(over.state, 'noncompliant');
  t.equal(over.noncompliantSince, NOW.toISOString(), 'kept while failing');
  const strict = policy({ firewall: true }, { id: 'strict', graceHours: 1 });
  t.equal(evaluate([p, strict], facts(inv), new Date(NOW.getTime() + 2 * 3600_000), first).state, 'noncompliant');
  const fixed = evaluate([p], facts({ [N.firewall]: '0' }), after, over);
  t.equal(fixed.state, 'compliant');
  t.equal(fixed.noncompliantSince, undefined, 'forgotten once compliant');
});
