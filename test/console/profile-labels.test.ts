// The profile editor in French (review of issue #13): every field label the kinds' schemas give
// has a French title, as do the kinds themselves, and a French page of the editor shows them —
// no English label left — on a real server.
import t from 'tap';
import { SESSION_COOKIE } from '../../src/http/admin/session-cookie.js';
import { fieldLabel, humanize } from '../../src/http/console/pages/profile-form.js';
import { FIELD_LABELS_FR, KIND_DESCRIPTIONS_FR, KIND_TITLES_FR } from '../../src/http/console/pages/profile-labels.js';
import { PROFILE_SCHEMAS } from '../../src/protocol/csp/schemas.js';
import { PROFILE_KINDS } from '../../src/protocol/csp/types.js';
import { startTestServer } from '../helpers/server.js';

/** Every property name of a schema, at any depth. */
function propertyNames(s: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(s)) for (const x of s) propertyNames(x, out);
  else if (s && typeof s === 'object') {
    const o = s as Record<string, unknown>;
    if (o.properties && typeof o.properties === 'object') for (const k of Object.keys(o.properties)) out.add(k);
    for (const v of Object.values(o)) propertyNames(v, out);
  }
  return out;
}

t.test('every property of every kind, and every kind, has its French words', async (t) => {
  const missing: string[] = [];
  for (const k of PROFILE_KINDS) {
    for (const p of propertyNames(PROFILE_SCHEMAS[k])) if (!FIELD_LABELS_FR[p]) missing.push(`${k}: ${p}`);
    t.ok(KIND_TITLES_FR[k], `${k}: a French title`);
    t.ok(KIND_DESCRIPTIONS_FR[k], `${k}: a French description`);
  }
  t.same(missing, [], 'no property without a French label');
  t.equal(fieldLabel('autoConnect', 'fr'), 'Connexion automatique');
  t.equal(fieldLabel('autoConnect', 'en'), humanize('autoConnect'));
});

t.test('the French editor page shows French labels and titles', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const PASSWORD = 'correct horse battery staple';
  const setup = await s.request('/console/setup', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
    body: new URLSearchParams({ code: s.server.setupCode!, username: 'olivia', password: PASSWORD, password2: PASSWORD }).toString(),
  });
  const cookie = [setup.headers['set-cookie']]
    .flat()
    .find((c) => c?.startsWith(`${SESSION_COOKIE}=`))!
    .split(';')[0];
  const get = async (path: string, lang: string) => (await s.request(path, { headers: { cookie, 'accept-language': lang } })).text();

  const englishOnly = new Set(
    Object.keys(FIELD_LABELS_FR)
      .filter((p) => humanize(p) !== FIELD_LABELS_FR[p])
      .map(humanize),
  );
  for (const kind of PROFILE_KINDS) {
    const fr = await get(`/console/profiles/new?kind=${kind}`, 'fr');
    const en = await get(`/console/profiles/new?kind=${kind}`, 'en');
    t.match(fr, `<title>Nouveau : ${KIND_TITLES_FR[kind]}`, `${kind}: the French title`);
    // A label as the form writes it: "Label", "Label 2" (a row), "Label: value" (a branch).
    const labels = (page: string) =>
      [...page.matchAll(/<(?:label for="f-s[^"]*"|legend)>([^<]+)/g)]
        .map((m) =>
          m[1]
            .trim()
            .split(':')[0]
            .replace(/ (\d+|__n\d+__)$/, ''),
        )
        .filter(Boolean);
    const frLabels = labels(fr);
    t.ok(frLabels.length > 0 && labels(en).length > 0, `${kind}: labels read`);
    t.same(
      frLabels.filter((l) => englishOnly.has(l)),
      [],
      `${kind}: no English label on the French page`,
    );
  }
  const wifi = await get('/console/profiles/new?kind=wifi', 'fr');
  t.match(wifi, />Connexion automatique</);
  t.match(wifi, />Phrase secrète</);
  const chooser = await get('/console/profiles/new', 'fr');
  t.match(chooser, KIND_DESCRIPTIONS_FR.wifi, 'the kind chooser describes the kinds in French');
});
