// #12 "Push: configured by env or API". A server started without FENESTRA_WNS_* gets its WNS
// settings through PUT /api/v1/settings/push: they take effect at once (the enrolled device gets
// the PFN at its next check-in, a queued wipe is pushed through the fake WNS), the secret is
// write-only and sealed at rest, every change is audited, DELETE turns push off. Refusals name
// the field. With FENESTRA_WNS_* set the API shows them and refuses changes (409).
import crypto from 'node:crypto';
import t from 'tap';
import { PFN, PUSH_NODE, pushSetup } from './helpers.js';

t.test('configured by API: on at once, the wipe is pushed, secret write-only and sealed, audited; DELETE turns it off', async (t) => {
  const { s, wns, health, enroll, apiSettings, secret } = await pushSetup(t, {}, { viaApi: true });
  t.same((await s.admin('GET', '/api/v1/settings/push')).json, { source: 'none', configured: false, clientSecretSet: false });
  const dev = await enroll();
  await dev.checkin();
  t.match(await health(dev.deviceId), { configured: false }, 'push off: the device detail says so');
  t.notOk(dev.tree.read(`${PUSH_NODE}/PFN`)?.data, 'no PFN set while push is off');

  const put = await s.admin('PUT', '/api/v1/settings/push', apiSettings);
  t.equal(put.status, 200, JSON.stringify(put.json));
  const fingerprint = `sha256:${crypto.createHash('sha256').update(secret).digest('hex').slice(0, 16)}`;
  t.match(put.json, {
    source: 'api',
    configured: true,
    pfn: PFN,
    clientId: apiSettings.clientId,
    clientSecretSet: true,
    clientSecretFingerprint: fingerprint,
    tokenUrl: apiSettings.tokenUrl,
    channelHosts: ['127.0.0.1'],
  });
  t.ok(put.json.updatedAt);
  t.notOk(JSON.stringify(put.json).includes(secret), 'the secret is never returned');
  t.notOk(JSON.stringify((await s.admin('GET', '/api/v1/settings/push')).json).includes(secret));
  const row = await s.server.store.push.settings();
  t.ok(row);
  t.notOk(row!.value.includes(secret), 'sealed at rest');
  t.match(JSON.parse(row!.value), { sealedSecret: /^v1\./ });

  // In effect without a restart: the next check-in sets the PFN and reads the channel.
  await dev.checkin();
  t.equal(dev.tree.read(`${PUSH_NODE}/PFN`)?.data, PFN, 'the device got the PFN');
  t.match(await health(dev.deviceId), { configured: true, channel: 'ok', usable: true });
  const q = await s.admin('POST', `/api/v1/devices/${dev.deviceId}/commands`, { action: 'wipe' });
  t.equal(q.status, 201);
  const n = await wns.waitFor(dev.deviceId, 1, 5000);
  t.ok(n.tokenValid, 'pushed with a token the fake WNS issued for the secret set through the API');
  t.equal(wns.tokenRequests.at(-1)?.form.client_secret, secret);

  // A change without the secret keeps the stored one.
  const keep = await s.admin('PUT', '/api/v1/settings/push', { ...apiSettings, clientSecret: undefined, channelHosts: ['127.0.0.1', '.notify.windows.com'] });
  t.equal(keep.status, 200, JSON.stringify(keep.json));
  t.match(keep.json, { clientSecretSet: true, clientSecretFingerprint: fingerprint, channelHosts: ['127.0.0.1', '.notify.windows.com'] });
  t.equal((await s.admin('POST', `/api/v1/devices/${dev.deviceId}/push`)).status, 202, 'still pushing with the kept secret');
  await wns.waitFor(dev.deviceId, 2, 5000);

  const entries = (await s.admin('GET', '/api/v1/audit?limit=50')).json.entries as { action: string; actor: string; detail?: unknown }[];
  const sets = entries.filter((e) => e.action === 'settings.push.set');
  t.equal(sets.length, 2, 'each change audited');
  t.ok(
    sets.every((e) => e.actor.startsWith('break-glass@')),
    'with who did it',
  );
  t.match(sets.map((e) => e.detail).reverse(), [{ pfn: PFN, clientSecretChanged: true }, { clientSecretChanged: false }]);
  t.notOk(JSON.stringify(entries).includes(secret), 'the audit never holds the secret');

  const del = await s.admin('DELETE', '/api/v1/settings/push');
  t.equal(del.status, 204);
  t.same((await s.admin('GET', '/api/v1/settings/push')).json, { source: 'none', configured: false, clientSecretSet: false });
  const off = await s.admin('POST', `/api/v1/devices/${dev.deviceId}/push`);
  t.equal(off.status, 409, 'push is off at once');
  t.match(off.json, { error: { code: 'push_not_configured', message: /PUT \/api\/v1\/settings\/push/ } });
  t.match(await health(dev.deviceId), { configured: false });
  t.equal((await s.admin('DELETE', '/api/v1/settings/push')).status, 404, 'nothing left to delete');
  t.ok(
    ((await s.admin('GET', '/api/v1/audit?limit=50')).json.entries as { action: string }[]).some((e) => e.action === 'settings.push.delete'),
    'the DELETE is audited',
  );
  t.equal(await s.server.store.push.settings(), undefined);

  // Refusals, each naming the field (push is off: the secret is required again).
  const cases: [Record<string, unknown>, string][] = [
    [{ ...apiSettings, pfn: 'not a pfn' }, '/pfn'],
    [{ ...apiSettings, pfn: 'Fenestra.Mdm_TOOSHORT' }, '/pfn'],
    [{ ...apiSettings, clientId: 'ms-app://with space' }, '/clientId'],
    [{ ...apiSettings, clientSecret: undefined }, '/clientSecret'],
    [{ ...apiSettings, clientSecret: '' }, '/clientSecret'],
    [{ ...apiSettings, clientSecret: 'line\nbreak' }, '/clientSecret'],
    [{ ...apiSettings, tokenUrl: 'not a url' }, '/tokenUrl'],
    [{ ...apiSettings, tokenUrl: 'ftp://login.example/token' }, '/tokenUrl'],
    [{ ...apiSettings, tokenUrl: 'https://user:pw@login.example/token' }, '/tokenUrl'],
    [{ ...apiSettings, channelHosts: [] }, '/channelHosts'],
    [{ ...apiSettings, channelHosts: ['.notify.windows.com', 'evil host/'] }, '/channelHosts/1'],
    [{ ...apiSettings, channelHosts: ['.'] }, '/channelHosts/0'],
    [{ ...apiSettings, channelHosts: 'host' }, '/channelHosts'],
    [{ ...apiSettings, extra: 1 }, '/extra'],
    [{ clientId: apiSettings.clientId, clientSecret: 'x' }, '/pfn'],
  ];
  for (const [body, pointer] of cases) {
    const r = await s.admin('PUT', '/api/v1/settings/push', body);
    t.equal(r.status, 400, `${JSON.stringify(body)} → ${JSON.stringify(r.json)}`);
    const named = [r.json.error.pointer, ...(r.json.error.errors ?? []).map((e: { pointer: string }) => e.pointer)];
    t.ok(named.includes(pointer), `names ${pointer}: ${JSON.stringify(r.json.error)}`);
    t.notOk(JSON.stringify(r.json).includes(secret), 'a refusal never echoes the secret');
  }
  t.equal(await s.server.store.push.settings(), undefined, 'nothing stored by a refusal');
});

t.test('FENESTRA_WNS_* set: they win; the API shows them (no secret) and answers 409 to a change', async (t) => {
  const { s, apiSettings, secret } = await pushSetup(t);
  const get = await s.admin('GET', '/api/v1/settings/push');
  t.equal(get.status, 200);
  t.match(get.json, { source: 'env', configured: true, pfn: PFN, clientId: apiSettings.clientId, clientSecretSet: true, clientSecretFingerprint: /^sha256:/ });
  t.notOk(JSON.stringify(get.json).includes(secret));
  for (const [method, body] of [
    ['PUT', apiSettings],
    ['DELETE', undefined],
  ] as const) {
    const r = await s.admin(method, '/api/v1/settings/push', body);
    t.equal(r.status, 409, method);
    t.match(r.json, { error: { code: 'configured_by_env', message: /FENESTRA_WNS_PFN/ } });
  }
  t.equal(await s.server.store.push.settings(), undefined);
});
