// What the console says of compliance reporting (http/console/pages/compliance-reporting.ts): the
// tenant's fragment says plainly that Microsoft Graph refused, why, and what Microsoft requires;
// the device's line says where its newest report is. Both languages; Graph's text is escaped.
import t from 'tap';
import { deviceComplianceReporting, tenantComplianceReporting } from '../../src/http/console/pages/compliance-reporting.js';

const AT = '2026-03-01T10:00:00.000Z';
const text = (h: { toString(): string }) =>
  h
    .toString()
    .replace(/<[^>]+>/g, '')
    .replace(/\s+/g, ' ')
    .trim();

t.test('tenant: never, refused (with the reason and what Microsoft requires), ok since', async (t) => {
  t.match(text(tenantComplianceReporting('en', {})), /No compliance report has been sent/);
  const refused = tenantComplianceReporting('en', {
    complianceReporting: { state: 'refused', error: 'updating the device: Microsoft Graph answered 403 Authorization_RequestDenied: <b>no</b>', at: AT },
  }).toString();
  t.match(
    text(refused),
    /Compliance reporting refused by Microsoft Graph \(since 1 Mar 2026, 10:00 UTC\): updating the device: .*403 Authorization_RequestDenied/,
  );
  t.match(text(refused), /only Intune and approved MDM applications/);
  t.match(refused, /role="alert"/);
  t.match(refused, /&lt;b&gt;no&lt;\/b&gt;/, "Graph's text is escaped");
  t.notMatch(refused, /<b>no<\/b>/);
  t.match(text(tenantComplianceReporting('en', { complianceReporting: { state: 'ok', at: AT } })), /Reports reach Microsoft Graph \(since 1 Mar 2026/);
  t.match(
    text(tenantComplianceReporting('fr', { complianceReporting: { state: 'refused', error: 'x', at: AT } })),
    /Rapports de conformité refusés par Microsoft Graph \(depuis .*\) : x/,
  );
});

t.test('device: each state of its newest report', async (t) => {
  t.equal(deviceComplianceReporting('en', undefined).toString(), '');
  t.match(text(deviceComplianceReporting('en', { state: 'pending', isCompliant: false, at: AT })), /isCompliant false, queued 1 Mar 2026.*waiting to be sent/);
  t.match(
    text(deviceComplianceReporting('en', { state: 'pending', isCompliant: false, error: 'Microsoft Graph answered 429', at: AT })),
    /will be tried again — Microsoft Graph answered 429/,
  );
  t.match(
    text(deviceComplianceReporting('en', { state: 'sent', isCompliant: true, at: AT })),
    /Reported to Entra ID at 1 Mar 2026, 10:00 UTC: isCompliant true/,
  );
  t.match(text(deviceComplianceReporting('en', { state: 'superseded', at: AT })), /replaced by a newer one/);
  const refused = deviceComplianceReporting('en', { state: 'refused', error: 'no device with device ID 1234 in this tenant’s Entra ID', at: AT }).toString();
  t.match(text(refused), /Compliance reporting refused by Microsoft Graph: no device with device ID 1234/);
  t.match(refused, /data-reporting="refused"/);
  t.match(text(deviceComplianceReporting('en', { state: 'failed', error: 'tenant gone', at: AT })), /failed: tenant gone/);
  t.match(text(deviceComplianceReporting('fr', { state: 'sent', isCompliant: true, at: AT })), /Transmis à Entra ID le 1 mars 2026/);
});
