// The tenant page's watched Entra groups (issue #14): the groups its profiles are assigned to, each
// with its display name, object ID, kind, member count, last sync and last error, and a "Sync now"
// form (administrators and owners) that syncs one from Microsoft Graph, as the admin API's
// POST /api/v1/tenants/:tenantId/groups/sync does, audited with the person.
import type { EntraGroup } from '../../../domain/profile.js';
import { can } from '../../../service/admins/capabilities.js';
import type { GroupSyncResult } from '../../../service/entra/groups-sync.js';
import { actorOf } from '../../admin/auth.js';
import type { ConsoleDeps } from '../deps.js';
import { when } from '../format.js';
import { html, type Html } from '../html.js';
import { type Messages, translator } from '../i18n.js';
import { type ConsoleRoutes, one, type PageContext, type PageResult } from '../page.js';
import { formHidden, listTable, param } from './admins-kit.js';

const messages = {
  en: {
    title: 'Entra groups',
    intro:
      'The Entra groups profiles are assigned to. Their members are read from Microsoft Graph and kept up to date; a group no profile targets any more is no longer synced.',
    caption: 'Entra groups watched for this tenant',
    none: 'No Entra group is watched: assign a profile to an Entra group (by its object ID) to sync its members.',
    name: 'Display name',
    objectId: 'Object ID',
    kind: 'Kind',
    members: 'Members',
    lastSync: 'Last sync',
    lastError: 'Last error',
    action: 'Action',
    user: 'Users',
    device: 'Devices',
    mixed: 'Users and devices',
    empty: 'Empty',
    unknown: 'Not read yet',
    nested: 'holds other groups',
    syncNow: 'Sync now',
    synced: 'Entra group {name} synced: {added} added, {removed} removed.',
    syncFailed: 'Entra group {name} could not be synced: {error}',
  },
  fr: {
    title: 'Groupes Entra',
    intro:
      "Les groupes Entra auxquels des profils sont attribués. Leurs membres sont lus dans Microsoft Graph et tenus à jour ; un groupe qu'aucun profil ne cible plus n'est plus synchronisé.",
    caption: 'Groupes Entra suivis pour ce locataire',
    none: "Aucun groupe Entra n'est suivi : attribuez un profil à un groupe Entra (par son ID d'objet) pour synchroniser ses membres.",
    name: "Nom d'affichage",
    objectId: "ID d'objet",
    kind: 'Type',
    members: 'Membres',
    lastSync: 'Dernière synchronisation',
    lastError: 'Dernière erreur',
    action: 'Action',
    user: 'Utilisateurs',
    device: 'Appareils',
    mixed: 'Utilisateurs et appareils',
    empty: 'Vide',
    unknown: 'Pas encore lu',
    nested: "contient d'autres groupes",
    syncNow: 'Synchroniser',
    synced: 'Groupe Entra {name} synchronisé : {added} ajoutés, {removed} retirés.',
    syncFailed: "Le groupe Entra {name} n'a pas pu être synchronisé : {error}",
  },
} satisfies Messages<string>;

const nameOf = (g: Pick<EntraGroup, 'id' | 'displayName'>) => g.displayName ?? g.id;

/** The tenant page's section: its watched groups, with a "Sync now" form each for those who may sync. */
export async function entraGroupsSection(ctx: PageContext, deps: ConsoleDeps, tenantId: string): Promise<Html> {
  const tr = translator(messages, ctx.lang);
  const groups = await deps.entraGroups.list(tenantId);
  const back = `/console/entra/${tenantId}`;
  const sync = can(ctx.principal, 'groups.write')
    ? {
        label: tr('action'),
        cell: (g: EntraGroup) =>
          html`<form method="post" action="/console/entra/${tenantId}/groups/sync" class="inline">
            ${formHidden(ctx, back)}<input type="hidden" name="groupId" value="${g.id}" />
            <button type="submit">${tr('syncNow')}<span class="visually-hidden"> ${nameOf(g)}</span></button>
          </form>`,
      }
    : undefined;
  return html`<section aria-labelledby="h-entra-groups" class="panel" id="entra-groups">
    <h2 id="h-entra-groups">${tr('title')}</h2>
    <p>${tr('intro')}</p>
    ${listTable({
      caption: tr('caption'),
      head: html`<th scope="col">${tr('name')}</th>
        <th scope="col">${tr('objectId')}</th>
        <th scope="col">${tr('kind')}</th>
        <th scope="col">${tr('members')}</th>
        <th scope="col">${tr('lastSync')}</th>
        <th scope="col">${tr('lastError')}</th>`,
      items: groups,
      none: tr('none'),
      row: (g) =>
        html`<th scope="row">${g.displayName ?? html`<span class="muted">${tr('unknown')}</span>`}</th>
          <td><code>${g.id}</code></td>
          <td>${g.kind ? tr(g.kind) : html`<span class="muted">—</span>`}${g.nested ? html` (${tr('nested')})` : ''}</td>
          <td>${g.memberCount}</td>
          <td>${when(ctx.lang, g.lastSyncAt)}</td>
          <td>${g.lastError ? html`<span class="failed">${g.lastError}</span> ${when(ctx.lang, g.lastErrorAt)}` : html`<span class="muted">—</span>`}</td>`,
      action: sync,
    })}
  </section>`;
}

/** The outcome of a sync, as the flash says it. */
function syncFlash(lang: PageContext['lang'], g: EntraGroup, r: GroupSyncResult): string {
  const tr = translator(messages, lang);
  return r.error ? tr('syncFailed', { name: nameOf(g), error: r.error }) : tr('synced', { name: nameOf(g), added: r.added, removed: r.removed });
}

/** "Sync now": one watched group of the tenant (an unknown one is refused back on the tenant page). */
export function registerEntraGroups(routes: ConsoleRoutes, deps: ConsoleDeps): void {
  routes.action('/entra/:tenantId/groups/sync', 'groups.write', async (ctx, form): Promise<PageResult> => {
    const tenantId = param(ctx.request, 'tenantId');
    const groupId = one(form, 'groupId').trim();
    const [r] = await deps.entraGroups.syncNow(tenantId, actorOf(ctx.request), groupId);
    const g = (await deps.entraGroups.list(tenantId)).find((x) => x.id === r!.groupId) ?? { id: r!.groupId };
    return { redirect: `/console/entra/${tenantId}#entra-groups`, flash: syncFlash(ctx.lang, g as EntraGroup, r!) };
  });
}
