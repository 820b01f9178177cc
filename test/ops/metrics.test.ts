// GET /metrics (Prometheus text format) after real traffic, its bearer token, and the split
// listeners: device endpoints on one port, the admin API and /metrics on another.
import crypto from 'node:crypto';
import t from 'tap';
import { buildSyncML } from '../../src/protocol/syncml/build.js';
import { httpsRequest } from '../../src/sim/https-client.js';
import { startTestServer } from '../helpers/server.js';
import { entraSimDevice } from '../helpers/sim-device.js';

/** The value of one sample line, e.g. value(text, 'fenestra_devices'); undefined when absent. */
function value(text: string, sample: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${sample} `)) return Number(line.slice(sample.length + 1));
  }
  return undefined;
}

t.test('metrics after enrollments and sessions', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const get = (token?: string) => s.request('/metrics', { headers: token ? { authorization: `Bearer ${token}` } : {} });
  t.equal((await get()).status, 401, 'a token is required');
  t.equal((await get('not-the-token-but-long-enough')).status, 401);

  const dev = entraSimDevice(s, tid);
  await dev.enroll();
  const bad = await s.soap('/EnrollmentServer/Enrollment.svc', '<not-soap/>');
  t.equal(bad.status, 500);
  const r = await dev.checkin();
  t.equal(r.outcome, 'complete');
  t.equal((await s.admin('POST', `/api/v1/devices/${dev.deviceId}/commands`, { action: 'reboot' })).status, 201);
  t.equal((await dev.checkin()).outcome, 'complete', 'the reboot goes out and is answered');
  // A management message without a client certificate or credentials: turned away.
  const refused = await s.request('/ManagementServer/MDM.svc', {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.syncml.dm+xml' },
    body: buildSyncML({
      hdr: { verDTD: '1.2', verProto: 'DM/1.2', sessionId: '9', msgId: '1', targetUri: s.publicUrl, sourceUri: 'NOT-ENROLLED' },
      final: true,
      body: [{ kind: 'Alert', cmdId: '1', data: '1201', items: [] }],
    }),
  });
  t.equal(refused.headers['x-fenestra-outcome'], 'refused');

  const res = await get(s.adminToken);
  t.equal(res.status, 200);
  t.match(res.headers['content-type'], /text\/plain/);
  const text = res.text();
  t.equal(value(text, 'fenestra_enrollment_requests_total{step="enrollment",outcome="ok"}'), 1, 'one enrollment');
  t.equal(value(text, 'fenestra_enrollment_requests_total{step="enrollment",outcome="s:MessageFormat"}'), 1, 'one fault, by subcode');
  t.equal(value(text, 'fenestra_enrollment_requests_total{step="discovery",outcome="ok"}'), 1);
  t.equal(value(text, 'fenestra_dm_sessions_total'), 2);
  t.equal(value(text, 'fenestra_enrollments_total{result="ok"}'), 1, 'enrollments by result');
  t.equal(value(text, 'fenestra_enrollments_total{result="s:MessageFormat"}'), 1, 'a failed one by its fault subcode');
  t.equal(value(text, 'fenestra_dm_session_outcomes_total{outcome="complete"}'), 2, 'both sessions complete');
  t.equal(value(text, 'fenestra_dm_session_outcomes_total{outcome="refused"}'), 1, 'the unknown device turned away');
  const sent = value(text, 'fenestra_commands_total{state="sent"}') ?? 0;
  const acked = value(text, 'fenestra_commands_total{state="acked"}') ?? 0;
  t.ok(sent >= 1 && acked >= 1 && acked <= sent, `commands by state: ${sent} sent, ${acked} acked`);
  t.equal(value(text, 'fenestra_command_queue{state="queued"}'), 0, 'the reboot left the queue');
  t.ok((value(text, 'fenestra_syncml_status_total{code="200"}') ?? 0) >= 1, 'device statuses counted');
  t.ok((value(text, 'fenestra_dm_messages_total{outcome="commands"}') ?? 0) >= 1);
  t.equal(value(text, 'fenestra_devices'), 1);
  t.ok((value(text, 'fenestra_certificate_expiry_days{certificate="ca"}') ?? 0) > 300, 'CA expiry in days');
  t.ok((value(text, 'fenestra_certificate_expiry_days{certificate="tls"}') ?? 0) > 1, 'TLS expiry in days');
  const age = value(text, 'fenestra_entra_jwks_refresh_age_seconds');
  t.ok(age !== undefined && age >= 0 && age < 600, `JWKS refreshed ${age} s ago`);
  t.equal(value(text, 'fenestra_entra_jwks_failures'), 0);
  t.ok(
    (value(text, 'fenestra_http_request_duration_seconds_count{route="/ManagementServer/MDM.svc",method="POST",status="200"}') ?? 0) >= 2,
    'latency histogram per route',
  );
  t.ok(value(text, 'fenestra_process_resident_memory_bytes'), 'process figures');
  t.notOk(text.includes(s.adminToken), 'no secret in the output');
});

t.test('FENESTRA_METRICS_TOKEN, and the admin API on its own listener', async (t) => {
  const metricsToken = crypto.randomBytes(24).toString('base64url');
  const s = await startTestServer({ FENESTRA_ADMIN_LISTEN: '127.0.0.1:0', FENESTRA_METRICS_TOKEN: metricsToken });
  t.teardown(() => s.close());
  t.ok(s.server.adminPort && s.server.adminPort !== s.server.port, 'two ports');
  const on = (port: number, p: string, token?: string) =>
    httpsRequest(s.publicUrl + p, { ca: s.caPem, connectTo: { host: '127.0.0.1', port }, headers: token ? { authorization: `Bearer ${token}` } : {} });
  const dev = s.server.port;
  const adm = s.server.adminPort!;
  t.equal((await on(adm, '/api/v1/tenants', s.adminToken)).status, 200, 'admin API on the admin listener');
  t.equal((await on(dev, '/api/v1/tenants', s.adminToken)).status, 404, 'not on the device listener');
  const m = await on(adm, '/metrics', metricsToken);
  t.equal(m.status, 200, 'metrics with their own token');
  // No Entra token was checked here: no keys were ever fetched, so no age (not a bogus 0).
  t.match(m.text(), /# HELP fenestra_entra_jwks_refresh_age_seconds/, 'the JWKS age is declared');
  t.equal(value(m.text(), 'fenestra_entra_jwks_refresh_age_seconds'), undefined, 'but has no value before keys were ever fetched');
  t.equal((await on(adm, '/metrics', s.adminToken)).status, 401, 'the admin token is not the metrics token');
  t.equal((await on(dev, '/metrics', metricsToken)).status, 404);
  t.equal((await on(dev, '/EnrollmentServer/Discovery.svc')).status, 200, 'device endpoints on the device listener');
  t.equal((await on(adm, '/EnrollmentServer/Discovery.svc')).status, 404, 'not on the admin listener');
  t.equal((await on(adm, '/healthz')).status, 200, 'health on both');
  t.equal((await on(dev, '/healthz')).status, 200);
});
