// The device page's compliance section: state, since when, each reason with expected and
// reported values (device text escaped), "not reported" for an unknown rule; none without policy.
import t from 'tap';
import { complianceSection } from '../../src/http/console/pages/device-compliance.js';

t.test('compliance section', async (t) => {
  const html = String(
    complianceSection('en', {
      deviceId: 'd1',
      state: 'noncompliant',
      policies: ['p1@1'],
      evaluatedAt: '2026-06-01T12:00:00.000Z',
      noncompliantSince: '2026-06-01T10:00:00.000Z',
      reasons: [
        { policyId: 'p1', rule: 'minOsBuild', outcome: 'fail', expected: 'OS build 10.0.22631 or later', actual: '<b>10.0.19045</b>' },
        { policyId: 'p1', rule: 'secureBoot', outcome: 'unknown', expected: 'Secure Boot enabled' },
      ],
    }),
  );
  t.match(html, /data-compliance="noncompliant"/);
  t.match(html, /Not compliant/);
  t.match(html, /failing since/);
  t.match(html, /OS build 10\.0\.22631 or later/);
  t.match(html, /&lt;b&gt;10\.0\.19045&lt;\/b&gt;/, 'device text escaped');
  t.notMatch(html, /<b>10/);
  t.match(html, /data-rule="secureBoot"[\s\S]*not reported by the device/);
  const fr = String(complianceSection('fr', { deviceId: 'd1', state: 'inGracePeriod', policies: ['p1@1'], reasons: [] }));
  t.match(fr, /En période de grâce/);
  t.match(String(complianceSection('en', { deviceId: 'd1', state: 'unknown', policies: [], reasons: [] })), /No compliance policy applies/);
});
