// Device actions from the console: sync and reboot (helpdesk), retire, wipe and revoke (admin).
// Each is a form POST to a path of its own, so the capability the server checks is the action's
// (a helpdesk admin's forged wipe is refused with 403 like the hidden button). Destructive ones go
// through a confirmation page where the admin types the device's name; a wrong name re-renders it
// with the error next to the field.
import { can, type Capability } from '../../../service/admins/capabilities.js';
import { actorOf } from '../../admin/auth.js';
import type { ConsoleDeps } from '../deps.js';
import { csrfField } from '../forms.js';
import { html, type Html } from '../html.js';
import { type Lang, translator } from '../i18n.js';
import { layout } from '../layout.js';
import { type ConsoleRoutes, type PageContext, one } from '../page.js';
import { type DeviceDetail, deviceLabel } from './device-view.js';

const DEVICE_ACTIONS = ['sync', 'reboot', 'retire', 'wipe', 'revoke'] as const;
type DeviceAction = (typeof DEVICE_ACTIONS)[number];
const DESTRUCTIVE: readonly DeviceAction[] = ['retire', 'wipe', 'revoke'];

const ACTION_CAPABILITY: Record<DeviceAction, Capability> = {
  sync: 'devices.sync',
  reboot: 'devices.reboot',
  retire: 'devices.retire',
  wipe: 'devices.wipe',
  revoke: 'devices.revoke',
};

const messages = {
  en: {
    actionsTitle: 'Actions',
    notEnrolled: 'The device is not enrolled: no action can be sent to it.',
    noActions: 'Your role allows no action on devices.',
    sync: 'Sync',
    reboot: 'Reboot',
    retire: 'Retire…',
    wipe: 'Wipe…',
    revoke: 'Revoke…',
    syncHelp: 'Refreshes the inventory at the next check-in.',
    rebootHelp: 'Restarts the device after its next check-in.',
    queued_sync: 'Sync queued: the device reads its inventory at its next check-in.',
    queued_reboot: 'Reboot queued: the device restarts after its next check-in.',
    queued_retire: 'Retire queued for {name}: company settings are removed at its next check-in.',
    queued_wipe: 'Wipe queued for {name}: the device resets at its next check-in.',
    revoked: '{name} is revoked: its certificate no longer works.',
    revokePending: '{name} is revoked once it has answered the {after} (at the latest {deadline}).',
    confirmTitle_retire: 'Retire {name}?',
    confirmTitle_wipe: 'Wipe {name}?',
    confirmTitle_revoke: 'Revoke {name}?',
    explain_retire:
      'Retiring removes what fenestra put on the device (profiles, enrollment) and leaves the user’s data. The device stays listed until it answers.',
    explain_wipe: 'Wiping resets the device to its factory state at its next check-in: every user’s data on it is erased. This cannot be undone.',
    explain_revoke:
      'Revoking stops managing the device: its certificate is revoked, its queued commands are cancelled and it can no longer check in. Choose whether it should be wiped or retired first.',
    typeName: 'Type the device name, {name}, to confirm',
    wrongName: 'This is not the device name: type {name} exactly.',
    when: 'When',
    now: 'Revoke now',
    afterWipe: 'Wipe first, revoke once the device has answered',
    afterRetire: 'Retire first, revoke once the device has answered',
    badWhen: 'Choose when to revoke.',
    confirm_retire: 'Retire {name}',
    confirm_wipe: 'Wipe {name}',
    confirm_revoke: 'Revoke {name}',
    cancel: 'Cancel',
    cancelCommand: 'Cancel',
    cancelCommandLabel: 'Cancel command {id}',
    cancelled: 'The command was cancelled.',
  },
  fr: {
    actionsTitle: 'Actions',
    notEnrolled: "L'appareil n'est pas inscrit : aucune action ne peut lui être envoyée.",
    noActions: 'Votre rôle ne permet aucune action sur les appareils.',
    sync: 'Synchroniser',
    reboot: 'Redémarrer',
    retire: 'Retirer…',
    wipe: 'Effacer…',
    revoke: 'Révoquer…',
    syncHelp: "Actualise l'inventaire au prochain contact.",
    rebootHelp: "Redémarre l'appareil après son prochain contact.",
    queued_sync: "Synchronisation en file : l'appareil lit son inventaire à son prochain contact.",
    queued_reboot: "Redémarrage en file : l'appareil redémarre après son prochain contact.",
    queued_retire: "Retrait en file pour {name} : les paramètres de l'entreprise sont supprimés à son prochain contact.",
    queued_wipe: "Effacement en file pour {name} : l'appareil est réinitialisé à son prochain contact.",
    revoked: '{name} est révoqué : son certificat ne fonctionne plus.',
    revokePending: '{name} sera révoqué après avoir répondu à la commande {after} (au plus tard {deadline}).',
    confirmTitle_retire: 'Retirer {name} ?',
    confirmTitle_wipe: 'Effacer {name} ?',
    confirmTitle_revoke: 'Révoquer {name} ?',
    explain_retire:
      "Le retrait supprime ce que fenestra a installé sur l'appareil (profils, inscription) et laisse les données de l'utilisateur. L'appareil reste listé jusqu'à sa réponse.",
    explain_wipe: "L'effacement réinitialise l'appareil à son prochain contact : les données de tous ses utilisateurs sont supprimées. C'est irréversible.",
    explain_revoke:
      "La révocation arrête la gestion de l'appareil : son certificat est révoqué, ses commandes en file sont annulées et il ne peut plus se connecter. Choisissez s'il doit d'abord être effacé ou retiré.",
    typeName: "Tapez le nom de l'appareil, {name}, pour confirmer",
    wrongName: "Ce n'est pas le nom de l'appareil : tapez exactement {name}.",
    when: 'Quand',
    now: 'Révoquer maintenant',
    afterWipe: "Effacer d'abord, révoquer quand l'appareil a répondu",
    afterRetire: "Retirer d'abord, révoquer quand l'appareil a répondu",
    badWhen: 'Choisissez quand révoquer.',
    confirm_retire: 'Retirer {name}',
    confirm_wipe: 'Effacer {name}',
    confirm_revoke: 'Révoquer {name}',
    cancel: 'Annuler',
    cancelCommand: 'Annuler',
    cancelCommandLabel: 'Annuler la commande {id}',
    cancelled: 'La commande a été annulée.',
  },
};

const tr = (lang: Lang) => translator(messages, lang);

export const devicePath = (id: string) => `/console/devices/${encodeURIComponent(id)}`;

/** The actions section of the device page: only what the principal's role may do. */
export function actionsSection(ctx: PageContext, d: DeviceDetail): Html {
  const t = tr(ctx.lang);
  const allowed = DEVICE_ACTIONS.filter((a) => can(ctx.principal, ACTION_CAPABILITY[a]));
  const body =
    d.state !== 'enrolled'
      ? html`<p class="muted">${t('notEnrolled')}</p>`
      : allowed.length === 0
        ? html`<p class="muted">${t('noActions')}</p>`
        : html`<div class="actions">
              ${allowed.map((a) =>
                DESTRUCTIVE.includes(a)
                  ? html`<a class="button danger" href="${devicePath(d.id)}/${a}" data-device-action="${a}">${t(a)}</a>`
                  : html`<form method="post" action="${devicePath(d.id)}/${a}" class="inline">
                      ${csrfField(ctx)}
                      <button type="submit" data-device-action="${a}" aria-describedby="help-${a}">${t(a)}</button>
                    </form>`,
              )}
            </div>
            ${allowed
              .filter((a) => a === 'sync' || a === 'reboot')
              .map((a) => html`<p class="hint" id="help-${a}">${t(a)}: ${t(a === 'sync' ? 'syncHelp' : 'rebootHelp')}</p>`)}`;
  return html`<section aria-labelledby="h-actions">
    <h2 id="h-actions">${t('actionsTitle')}</h2>
    ${body}
  </section>`;
}

/** The cancel button of a command the admin may still cancel (queued or held, not a profile's). */
export function cancelButton(ctx: PageContext, deviceId: string, c: { id: string; state: string; batch?: string }): Html | undefined {
  if (!can(ctx.principal, 'devices.cancel-command') || c.batch || (c.state !== 'queued' && c.state !== 'held')) return undefined;
  const t = tr(ctx.lang);
  return html`<form method="post" action="${devicePath(deviceId)}/commands/${encodeURIComponent(c.id)}/cancel" class="inline">
    ${csrfField(ctx)}<button type="submit" class="secondary" aria-label="${t('cancelCommandLabel', { id: c.id })}">${t('cancelCommand')}</button>
  </form>`;
}

type Destructive = 'retire' | 'wipe' | 'revoke';

function confirmPage(ctx: PageContext, d: DeviceDetail, action: Destructive, errors: { confirm?: string; after?: string } = {}, after = ''): Html {
  const t = tr(ctx.lang);
  const name = deviceLabel(d);
  const fieldError = (id: string, e: string | undefined) => (e ? html`<p class="error" id="${id}-error">${e}</p>` : '');
  const whenChoice =
    action === 'revoke'
      ? html`<fieldset class="choices${errors.after ? ' has-error' : ''}" ${errors.after ? html`aria-describedby="f-after-error"` : ''}>
          <legend>${t('when')}</legend>
          ${(
            [
              ['', t('now')],
              ['wipe', t('afterWipe')],
              ['retire', t('afterRetire')],
            ] as const
          ).map(
            ([v, label], i) =>
              html`<div class="check">
                <input type="radio" name="after" id="f-after-${i}" value="${v}" ${after === v ? html` checked` : ''} /><label for="f-after-${i}"
                  >${label}</label
                >
              </div>`,
          )}
          ${fieldError('f-after', errors.after)}
        </fieldset>`
      : '';
  const body = html`<p>${t(`explain_${action}`)}</p>
    <form method="post" action="${devicePath(d.id)}/${action}" class="confirm" novalidate>
      ${csrfField(ctx)} ${whenChoice}
      <div class="field${errors.confirm ? ' has-error' : ''}">
        <label for="f-confirm">${t('typeName', { name })}</label>
        <input
          id="f-confirm"
          name="confirm"
          type="text"
          autocomplete="off"
          spellcheck="false"
          ${errors.confirm ? html`aria-invalid="true" aria-describedby="f-confirm-error"` : ''}
        />
        ${fieldError('f-confirm', errors.confirm)}
      </div>
      <div class="buttons">
        <button type="submit" class="danger">${t(`confirm_${action}`, { name })}</button>
        <a href="${devicePath(d.id)}">${t('cancel')}</a>
      </div>
    </form>`;
  return layout(ctx, { title: t(`confirmTitle_${action}`, { name }), nav: 'devices', body });
}

const idOf = (ctx: PageContext) => (ctx.request.params as { id: string }).id;

export function registerDeviceActions(routes: ConsoleRoutes, deps: ConsoleDeps): void {
  const actor = (ctx: PageContext) => actorOf(ctx.request);

  for (const action of ['sync', 'reboot'] as const) {
    routes.action(`/devices/:id/${action}`, ACTION_CAPABILITY[action], async (ctx) => {
      const cmd = await deps.commands.queue(idOf(ctx), { action }, actor(ctx));
      return { redirect: devicePath(cmd.devicePk), flash: tr(ctx.lang)(`queued_${action}`) };
    });
  }

  for (const action of ['retire', 'wipe', 'revoke'] as const) {
    routes.page(`/devices/:id/${action}`, ACTION_CAPABILITY[action], async (ctx) => confirmPage(ctx, await deps.devices.get(idOf(ctx)), action));
    routes.action(`/devices/:id/${action}`, ACTION_CAPABILITY[action], async (ctx, form) => {
      const t = tr(ctx.lang);
      const d = await deps.devices.get(idOf(ctx));
      const name = deviceLabel(d);
      const after = one(form, 'after');
      const errors: { confirm?: string; after?: string } = {};
      if (one(form, 'confirm').trim() !== name) errors.confirm = t('wrongName', { name });
      if (action === 'revoke' && after !== '' && after !== 'wipe' && after !== 'retire') errors.after = t('badWhen');
      if (errors.confirm || errors.after) {
        ctx.reply.code(400);
        return confirmPage(ctx, d, action, errors, after);
      }
      if (action !== 'revoke') {
        await deps.commands.queue(d.id, { action }, actor(ctx));
        return { redirect: devicePath(d.id), flash: t(`queued_${action}`, { name }) };
      }
      const r = await deps.revocation.revoke(d.id, after ? { after: after as 'wipe' | 'retire' } : {}, actor(ctx));
      const flash = r.revokeAfter ? t('revokePending', { name, after: r.revokeAfter.action, deadline: r.revokeAfter.deadline }) : t('revoked', { name });
      return { redirect: devicePath(d.id), flash };
    });
  }

  routes.action('/devices/:id/commands/:commandId/cancel', 'devices.cancel-command', async (ctx) => {
    const { id, commandId } = ctx.request.params as { id: string; commandId: string };
    await deps.commands.cancel(id, commandId, actor(ctx));
    return { redirect: devicePath(id), flash: tr(ctx.lang)('cancelled') };
  });
}
