// The dry run (/console/profiles/plan?device=…&user=…): what the next session of a device for a
// user (or nobody) would carry — each profile's planned step and the SyncML itself, secrets shown
// as "(secret)" — from ProfileStatusService.plan. Nothing is written.
import { prettyXml } from '../../../protocol/xml-pretty.js';
import type { ConsoleDeps } from '../deps.js';
import { html, type Html } from '../html.js';
import { type Lang, translator } from '../i18n.js';
import { layout } from '../layout.js';
import { one, type PageContext } from '../page.js';
import { refusal } from './profile-editor.js';

const messages = {
  en: {
    title: 'Dry run',
    intro: 'What the next session of a device would carry for a user, computed now without sending or writing anything.',
    device: 'Device',
    deviceHint: 'Its id or Windows DeviceID (the device page links here with it filled in).',
    user: 'User',
    userHint: 'Entra object ID or UPN of a user; empty for a session with nobody signed in.',
    show: 'Show',
    forUser: 'For {user}',
    forNobody: 'With nobody signed in',
    queued: 'Commands already queued that this session would carry: {n}.',
    profiles: 'Profiles',
    profile: 'Profile',
    userKey: 'Tree',
    action: 'Step',
    detail: 'Reason',
    deviceTree: 'device',
    nothing: 'Nothing to do: every assigned profile is where it should be.',
    syncml: 'The SyncML it would send',
    backToDevice: 'Back to the device',
    a_install: 'install',
    a_update: 'update',
    a_remove: 'remove',
    a_hold: 'hold',
    a_bump: 'record the new version (nothing to send)',
    'a_in-flight': 'waiting for the device’s answer',
  },
  fr: {
    title: 'Simulation',
    intro: "Ce que porterait la prochaine session d'un appareil pour un utilisateur, calculé maintenant sans rien envoyer ni écrire.",
    device: 'Appareil',
    deviceHint: 'Son id ou son DeviceID Windows (la page de l’appareil mène ici avec le champ rempli).',
    user: 'Utilisateur',
    userHint: "ID d'objet Entra ou UPN d'un utilisateur ; vide pour une session sans personne de connecté.",
    show: 'Afficher',
    forUser: 'Pour {user}',
    forNobody: 'Sans personne de connecté',
    queued: 'Commandes déjà en file que cette session porterait : {n}.',
    profiles: 'Profils',
    profile: 'Profil',
    userKey: 'Arborescence',
    action: 'Étape',
    detail: 'Raison',
    deviceTree: 'appareil',
    nothing: 'Rien à faire : chaque profil attribué est là où il doit être.',
    syncml: 'Le SyncML qui serait envoyé',
    backToDevice: "Retour à l'appareil",
    a_install: 'installer',
    a_update: 'mettre à jour',
    a_remove: 'retirer',
    a_hold: 'retenir',
    a_bump: 'noter la nouvelle version (rien à envoyer)',
    'a_in-flight': "en attente de la réponse de l'appareil",
  },
};

const tr = (lang: Lang) => translator(messages, lang);
const ACTION_KEYS = new Set(['a_install', 'a_update', 'a_remove', 'a_hold', 'a_bump', 'a_in-flight']);

export async function planPage(ctx: PageContext, deps: ConsoleDeps): Promise<Html> {
  const t = tr(ctx.lang);
  const device = one(ctx.query, 'device').trim();
  const user = one(ctx.query, 'user').trim();
  const errors = new Map<string, string>();
  let result: Html = html``;
  if (device) {
    try {
      const plan = await deps.profileStatus.plan(device, user || undefined);
      let xml = plan.syncml;
      try {
        xml = prettyXml(plan.syncml);
      } catch {
        // shown as built
      }
      result = html`<section aria-labelledby="h-result">
        <h2 id="h-result">${plan.user ? t('forUser', { user: plan.user.upn ?? plan.user.key }) : t('forNobody')}</h2>
        <p><a href="/console/devices/${encodeURIComponent(plan.deviceId)}">${t('backToDevice')}</a></p>
        <p>${t('queued', { n: plan.queued })}</p>
        ${
          plan.profiles.length
            ? html`<table class="plan">
                <caption>
                  ${t('profiles')}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">${t('profile')}</th>
                    <th scope="col">${t('userKey')}</th>
                    <th scope="col">${t('action')}</th>
                    <th scope="col">${t('detail')}</th>
                  </tr>
                </thead>
                <tbody>
                  ${plan.profiles.map(
                    (e) =>
                      html`<tr data-profile="${e.profileId}" data-step="${e.action}">
                        <td><a href="/console/profiles/${encodeURIComponent(e.profileId)}">${e.name ?? e.profileId}</a></td>
                        <td>${e.userKey || t('deviceTree')}</td>
                        <td>${ACTION_KEYS.has(`a_${e.action}`) ? t(`a_${e.action}` as 'a_install') : e.action}</td>
                        <td>${e.detail ?? '—'}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
            : html`<p class="muted">${t('nothing')}</p>`
        }
        <h3>${t('syncml')}</h3>
        <pre class="xml" tabindex="0"><code>${xml}</code></pre>
      </section>`;
    } catch (err) {
      const r = refusal(err);
      if (r) {
        ctx.reply.code(r.status);
        for (const [p, m] of r.errors) errors.set(p === '/user' ? 'user' : 'device', m);
      } else if ((err as { status?: number }).status === 404) {
        ctx.reply.code(404);
        errors.set('device', (err as Error).message);
      } else throw err;
    }
  }
  const field = (name: 'device' | 'user', value: string) => {
    const e = errors.get(name);
    const id = `f-${name}`;
    return html`<div class="field${e ? ' has-error' : ''}">
      <label for="${id}">${t(name)}</label>
      <p class="hint" id="${id}-hint">${t(name === 'device' ? 'deviceHint' : 'userHint')}</p>
      <input
        id="${id}"
        name="${name}"
        type="text"
        value="${value}"
        spellcheck="false"
        aria-describedby="${id}-hint${e ? ` ${id}-error` : ''}"
        ${e ? html` aria-invalid="true"` : ''}
      />
      ${e ? html`<p class="error" id="${id}-error">${e}</p>` : ''}
    </div>`;
  };
  const body = html`<p>${t('intro')}</p>
    <form method="get" action="/console/profiles/plan" class="plan-form">
      ${field('device', device)} ${field('user', user)}
      <button type="submit">${t('show')}</button>
    </form>
    ${result}`;
  return layout(ctx, { title: t('title'), nav: 'profiles', body });
}
