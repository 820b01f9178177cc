// The device page's sections, rendered from what DeviceService.get, DeviceCommandService and the
// trace view return: the Entra user signed in now and who signed in before, the users × profiles
// matrix of a shared PC, inventory, certificates, commands with per-item results, and the
// session trace. Actions and their confirmation are in device-actions.ts.
import type { CommandRecord } from '../../../domain/command.js';
import type { TraceEntry } from '../../../domain/session.js';
import type { DeviceService, DeviceView } from '../../../service/devices.js';
import type { UserProfilesView } from '../../../service/reconcile/status.js';
import { num, when } from '../format.js';
import { html, type Html } from '../html.js';
import { type Lang, translator } from '../i18n.js';

export type DeviceDetail = Awaited<ReturnType<DeviceService['get']>>;
export type Login = DeviceDetail['loginHistory'][number];

const messages = {
  en: {
    nowTitle: 'Signed in now',
    nobody: 'Nobody is signed in.',
    signedIn: '{user} is signed in.',
    loginStatus: 'Windows reports: {status}.',
    login_user: 'a user is signed in',
    login_others: 'other users are signed in',
    login_none: 'nobody is signed in',
    lastCheckin: 'Last check-in',
    historyTitle: 'Sign-in history',
    historyNone: 'No Entra user has signed in on this device yet.',
    user: 'User',
    objectId: 'Object ID',
    firstSeen: 'First seen',
    lastSeen: 'Last seen',
    sessions: 'Sessions',
    current: 'now',
    matrixTitle: 'Profiles by user',
    matrixCaption: 'Delivery status of each profile, for the device and each user who signed in',
    matrixNone: 'No profile is assigned to this device or its users.',
    deviceTree: 'Device (every user)',
    profile: 'Profile',
    notAssigned: 'not assigned',
    outdated: 'version {version} of {current}',
    st_pending: 'pending',
    st_held: 'held',
    st_delivered: 'delivered',
    st_verified: 'verified',
    st_failed: 'failed',
    st_removing: 'removing',
    st_removed: 'removed',
    inventoryTitle: 'Inventory',
    inventoryNone: 'The device has not sent its inventory yet.',
    inv_osBuild: 'OS build',
    inv_edition: 'Edition',
    inv_manufacturer: 'Manufacturer',
    inv_model: 'Model',
    inv_serial: 'Serial number',
    inv_hostname: 'Host name',
    inv_arch: 'Processor',
    inv_ram: 'Memory',
    inv_storage: 'Storage',
    inv_free: 'Free storage',
    inv_mac: 'Wi-Fi MAC address',
    inv_language: 'Language',
    inv_updated: 'Read at',
    mb: '{n} MB',
    allNodes: 'Every node read ({n})',
    node: 'Node',
    value: 'Value',
    enrollmentTitle: 'Enrollment',
    state: 'State',
    enrollmentType: 'Enrollment type',
    type_Device: 'Entra join (shared PC: users sign in)',
    type_Full: 'Work account (one user)',
    authMethod: 'Authentication',
    deviceId: 'Windows DeviceID',
    entraDeviceId: 'Entra device ID',
    tenant: 'Tenant',
    enrollingUser: 'Enrolled by',
    enrolledAt: 'Enrolled',
    certificate: 'Certificate',
    certValid: 'serial {serial}, valid until',
    revocation: 'Revocation',
    state_enrolled: 'enrolled',
    state_unenrolled: 'unenrolled',
    revokeAfter: 'waits for the {command} command (at the latest',
    commandsTitle: 'Commands',
    commandsNone: 'No command was sent to this device yet.',
    created: 'Queued',
    command: 'Command',
    cmdState: 'State',
    status: 'Status',
    results: 'Results',
    cs_queued: 'queued',
    cs_held: 'held',
    cs_sent: 'sent',
    cs_acked: 'done',
    cs_failed: 'failed',
    cs_cancelled: 'cancelled',
    cs_expired: 'expired',
    item: 'item {n}: {status}',
    child: 'command {n}: {status}',
    missing: 'missing: {nodes}',
    held: 'held: {reason}',
    forUser: 'for user {user}',
    andMore: '… and {n} more',
    moreResults: '{n} more results',
    traceTitle: 'Session trace',
    traceNone: 'No session recorded.',
    traceNote: 'The most recent messages, newest first. Secrets were blanked before they were stored.',
    traceMsg: 'Session {session}, message {msg}, {direction}',
    dir_in: 'from the device',
    dir_out: 'to the device',
    truncated: '(truncated when stored: shown as received)',
  },
  fr: {
    nowTitle: 'Connecté maintenant',
    nobody: "Personne n'est connecté.",
    signedIn: '{user} est connecté.',
    loginStatus: 'Windows indique : {status}.',
    login_user: 'un utilisateur est connecté',
    login_others: "d'autres utilisateurs sont connectés",
    login_none: "personne n'est connecté",
    lastCheckin: 'Dernier contact',
    historyTitle: 'Historique des connexions',
    historyNone: "Aucun utilisateur Entra ne s'est encore connecté sur cet appareil.",
    user: 'Utilisateur',
    objectId: "ID d'objet",
    firstSeen: 'Première connexion',
    lastSeen: 'Dernière connexion',
    sessions: 'Sessions',
    current: 'maintenant',
    matrixTitle: 'Profils par utilisateur',
    matrixCaption: "État de livraison de chaque profil, pour l'appareil et chaque utilisateur qui s'y est connecté",
    matrixNone: "Aucun profil n'est attribué à cet appareil ou à ses utilisateurs.",
    deviceTree: 'Appareil (tous les utilisateurs)',
    profile: 'Profil',
    notAssigned: 'non attribué',
    outdated: 'version {version} sur {current}',
    st_pending: 'en attente',
    st_held: 'retenu',
    st_delivered: 'livré',
    st_verified: 'vérifié',
    st_failed: 'échec',
    st_removing: 'retrait en cours',
    st_removed: 'retiré',
    inventoryTitle: 'Inventaire',
    inventoryNone: "L'appareil n'a pas encore envoyé son inventaire.",
    inv_osBuild: 'Build du système',
    inv_edition: 'Édition',
    inv_manufacturer: 'Fabricant',
    inv_model: 'Modèle',
    inv_serial: 'Numéro de série',
    inv_hostname: "Nom d'hôte",
    inv_arch: 'Processeur',
    inv_ram: 'Mémoire',
    inv_storage: 'Stockage',
    inv_free: 'Stockage libre',
    inv_mac: 'Adresse MAC Wi-Fi',
    inv_language: 'Langue',
    inv_updated: 'Lu le',
    mb: '{n} Mo',
    allNodes: 'Tous les nœuds lus ({n})',
    node: 'Nœud',
    value: 'Valeur',
    enrollmentTitle: 'Inscription',
    state: 'État',
    enrollmentType: "Type d'inscription",
    type_Device: 'Jonction Entra (PC partagé : les utilisateurs se connectent)',
    type_Full: 'Compte professionnel (un utilisateur)',
    authMethod: 'Authentification',
    deviceId: 'DeviceID Windows',
    entraDeviceId: "ID d'appareil Entra",
    tenant: 'Locataire',
    enrollingUser: 'Inscrit par',
    enrolledAt: 'Inscrit le',
    certificate: 'Certificat',
    certValid: "numéro {serial}, valable jusqu'au",
    revocation: 'Révocation',
    state_enrolled: 'inscrit',
    state_unenrolled: 'désinscrit',
    revokeAfter: 'attend la commande {command} (au plus tard',
    commandsTitle: 'Commandes',
    commandsNone: "Aucune commande n'a encore été envoyée à cet appareil.",
    created: 'Mise en file',
    command: 'Commande',
    cmdState: 'État',
    status: 'Statut',
    results: 'Résultats',
    cs_queued: 'en file',
    cs_held: 'retenue',
    cs_sent: 'envoyée',
    cs_acked: 'faite',
    cs_failed: 'échec',
    cs_cancelled: 'annulée',
    cs_expired: 'expirée',
    item: 'élément {n} : {status}',
    child: 'commande {n} : {status}',
    missing: 'absents : {nodes}',
    held: 'retenue : {reason}',
    forUser: "pour l'utilisateur {user}",
    andMore: '… et {n} de plus',
    moreResults: '{n} résultats de plus',
    traceTitle: 'Trace des sessions',
    traceNone: 'Aucune session enregistrée.',
    traceNote: "Les messages les plus récents d'abord. Les secrets ont été effacés avant l'enregistrement.",
    traceMsg: 'Session {session}, message {msg}, {direction}',
    dir_in: "de l'appareil",
    dir_out: "vers l'appareil",
    truncated: '(tronqué à l’enregistrement : affiché tel que reçu)',
  },
};

type Key = keyof (typeof messages)['en'];
const tr = (lang: Lang) => translator(messages, lang);
/** A key built from a value the device or store gave: its message if we have one, else the value itself. */
const known = (lang: Lang, key: string, fallback: string): string => (key in messages.en ? tr(lang)(key as Key) : fallback);

/** The name an admin knows a device by, and types to confirm a wipe: its host name, else its enrollment name, else its DeviceID. */
export const deviceLabel = (d: Pick<DeviceView, 'hostName' | 'deviceName' | 'deviceId'>): string => d.hostName ?? d.deviceName ?? d.deviceId;

/** The live part of the page: who is signed in now (polite live region) and the sign-in history. */
export type LiveDetail = Pick<DeviceDetail, 'signedInUser' | 'loginStatus' | 'lastSeenAt' | 'loginHistory'>;

export function signedInParts(lang: Lang, d: LiveDetail): { now: Html; history: Html } {
  const t = tr(lang);
  const u = d.signedInUser;
  const status = d.loginStatus ? known(lang, `login_${d.loginStatus}`, d.loginStatus) : undefined;
  const now = html`<p class="signed-in-user">${u ? t('signedIn', { user: u.upn ?? u.oid }) : t('nobody')}</p>
    ${u ? html`<p class="muted">${t('objectId')}: <code>${u.oid}</code></p>` : ''} ${status ? html`<p class="muted">${t('loginStatus', { status })}</p>` : ''}
    <p class="muted">${t('lastCheckin')}: ${when(lang, d.lastSeenAt)}</p>`;
  const current = u?.oid.toLowerCase();
  const history = d.loginHistory.length
    ? html`<table>
        <caption class="visually-hidden">
          ${t('historyTitle')}
        </caption>
        <thead>
          <tr>
            <th scope="col">${t('user')}</th>
            <th scope="col">${t('objectId')}</th>
            <th scope="col">${t('firstSeen')}</th>
            <th scope="col">${t('lastSeen')}</th>
            <th scope="col" class="num">${t('sessions')}</th>
          </tr>
        </thead>
        <tbody>
          ${d.loginHistory.map(
            (l) =>
              html`<tr>
                <td>${l.upn ?? '—'}${l.oid.toLowerCase() === current ? html` <span class="badge">${t('current')}</span>` : ''}</td>
                <td><code>${l.oid}</code></td>
                <td>${when(lang, l.firstSeen)}</td>
                <td>${when(lang, l.lastSeen)}</td>
                <td class="num">${num(lang, l.sessions)}</td>
              </tr>`,
          )}
        </tbody>
      </table>`
    : html`<p class="muted">${t('historyNone')}</p>`;
  return { now, history };
}

/** Rows: the device tree, each user with deliveries, each user who signed in; columns: every profile any of them has. */
export function profileMatrix(lang: Lang, groups: UserProfilesView[] | undefined, logins: Login[]): Html {
  const t = tr(lang);
  const rows = new Map<string, { label: string; cells: Map<string, UserProfilesView['profiles'][number]> }>();
  const row = (key: string, label: string) => {
    let r = rows.get(key);
    if (!r) rows.set(key, (r = { label, cells: new Map() }));
    return r;
  };
  const columns = new Map<string, string>();
  row('', t('deviceTree'));
  for (const g of groups ?? []) {
    const key = g.user?.key.toLowerCase() ?? '';
    const r = row(key, key === '' ? t('deviceTree') : (g.user?.upn ?? g.user!.key));
    for (const p of g.profiles) {
      r.cells.set(p.profileId, p);
      columns.set(p.profileId, p.name ?? p.profileId);
    }
  }
  for (const l of logins) row(l.oid.toLowerCase(), l.upn ?? l.oid);
  if (columns.size === 0) return html`<p class="muted">${t('matrixNone')}</p>`;
  const cols = [...columns];
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label="${t('matrixTitle')}">
    <table class="matrix">
      <caption>
        ${t('matrixCaption')}
      </caption>
      <thead>
        <tr>
          <td></td>
          ${cols.map(([id, name]) => html`<th scope="col"><a href="/console/profiles/${id}">${name}</a></th>`)}
        </tr>
      </thead>
      <tbody>
        ${[...rows.entries()].map(
          ([key, r]) =>
            html`<tr data-user="${key}">
              <th scope="row">${r.label}</th>
              ${cols.map(([id]) => {
                const c = r.cells.get(id);
                if (!c) return html`<td class="st st-none" data-profile="${id}">${t('notAssigned')}</td>`;
                const outdated = c.currentVersion !== undefined && c.version !== c.currentVersion;
                return html`<td class="st st-${c.status}" data-profile="${id}" data-status="${c.status}">
                  <span class="badge ${tone(c.status)}">${known(lang, `st_${c.status}`, c.status)}</span>
                  ${c.detail ? html`<span class="reason">${c.detail}</span>` : ''}
                  ${outdated ? html`<span class="reason">${t('outdated', { version: c.version, current: c.currentVersion! })}</span>` : ''}
                </td>`;
              })}
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

/** The badge colour of a delivery or command state. */
const TONE: Record<string, string> = {
  delivered: 'ok',
  verified: 'ok',
  acked: 'ok',
  removed: 'ok',
  failed: 'bad',
  expired: 'bad',
  pending: 'warn',
  held: 'warn',
  removing: 'warn',
  queued: 'warn',
  sent: 'warn',
};
const tone = (state: string) => TONE[state] ?? '';

const ARCH: Record<number, string> = { 0: 'x86', 5: 'ARM', 9: 'x64', 12: 'ARM64' };

function dl(entries: [string, Html | string | undefined][]): Html {
  const present = entries.filter(([, v]) => v !== undefined && v !== '');
  return html`<dl class="facts">
    ${present.map(
      ([k, v]) =>
        html`<div>
          <dt>${k}</dt>
          <dd>${v}</dd>
        </div>`,
    )}
  </dl>`;
}

export function inventory(lang: Lang, d: DeviceDetail): Html {
  const t = tr(lang);
  const inv = d.inventory;
  const mb = (n: number | undefined) => (n === undefined ? undefined : t('mb', { n: num(lang, n) }));
  const facts = dl([
    [t('inv_osBuild'), d.osBuild],
    [t('inv_edition'), d.osEdition],
    [t('inv_manufacturer'), inv?.manufacturer],
    [t('inv_model'), inv?.model],
    [t('inv_serial'), inv?.serialNumber],
    [t('inv_hostname'), d.hostName],
    [t('inv_arch'), inv?.processorArchitecture === undefined ? undefined : (ARCH[inv.processorArchitecture] ?? String(inv.processorArchitecture))],
    [t('inv_ram'), mb(inv?.totalRamMb)],
    [t('inv_storage'), mb(inv?.totalStorageMb)],
    [t('inv_free'), mb(inv?.freeStorageMb)],
    [t('inv_mac'), inv?.wlanMac],
    [t('inv_language'), inv?.language],
    [t('inv_updated'), inv?.updatedAt ? when(lang, inv.updatedAt) : undefined],
  ]);
  if (!inv)
    return html`${facts}
      <p class="muted">${t('inventoryNone')}</p>`;
  const nodes = Object.entries(inv.nodes).sort(([a], [b]) => (a < b ? -1 : 1));
  return html`${facts}
    <details>
      <summary>${t('allNodes', { n: nodes.length })}</summary>
      <table>
        <thead>
          <tr>
            <th scope="col">${t('node')}</th>
            <th scope="col">${t('value')}</th>
          </tr>
        </thead>
        <tbody>
          ${nodes.map(
            ([k, v]) =>
              html`<tr>
                <td><code>${k}</code></td>
                <td>${v}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </details>`;
}

export function enrollment(lang: Lang, d: DeviceDetail): Html {
  const t = tr(lang);
  const c = d.certificate;
  return dl([
    [t('state'), known(lang, `state_${d.state}`, d.state)],
    [t('enrollmentType'), known(lang, `type_${d.enrollmentType}`, d.enrollmentType)],
    [t('authMethod'), d.authMethod],
    [t('deviceId'), html`<code>${d.deviceId}</code>`],
    [t('entraDeviceId'), d.entraDeviceId ? html`<code>${d.entraDeviceId}</code>` : undefined],
    [t('tenant'), d.tenantId ? html`<code>${d.tenantId}</code>` : undefined],
    [t('enrollingUser'), d.user?.upn ?? d.user?.oid],
    [t('enrolledAt'), when(lang, d.enrolledAt)],
    [t('certificate'), c ? html`${t('certValid', { serial: c.serial })} ${when(lang, c.notAfter)}` : undefined],
    [t('revocation'), d.revokeAfter ? html`${t('revokeAfter', { command: d.revokeAfter.command })} ${when(lang, d.revokeAfter.deadline)})` : undefined],
  ]);
}

/** "Exec ./Device/Vendor/MSFT/RemoteWipe/doWipe" (a named action's name first). */
function commandLabel(c: CommandRecord, t: ReturnType<typeof tr>): Html {
  const targets: string[] = [];
  const walk = (p: CommandRecord['payload']) => {
    for (const it of p.items ?? []) targets.push(it.target);
    for (const ch of p.commands ?? []) walk(ch);
  };
  walk(c.payload);
  const shown = targets.slice(0, 3);
  return html`${c.action ? html`<strong>${c.action}</strong> ` : ''}<span>${c.payload.kind}</span> ${
      shown.length
        ? html`<ul class="targets">
            ${shown.map((x) => html`<li><code>${x}</code></li>`)}
          </ul>`
        : ''
    }
    ${targets.length > shown.length ? html`<span class="muted">${t('andMore', { n: targets.length - shown.length })}</span>` : ''}
    ${c.userOid ? html`<span class="muted">${t('forUser', { user: c.userOid })}</span>` : ''}`;
}

/** Result lines shown before the rest folds away (an inventory Get answers a dozen nodes). */
const RESULTS_SHOWN = 4;

function commandResults(c: CommandRecord, t: ReturnType<typeof tr>): Html {
  const lines: Html[] = [];
  for (const it of c.detail?.items ?? []) lines.push(html`<li>${t('item', { n: it.index + 1, status: it.status })}</li>`);
  for (const ch of c.detail?.children ?? []) lines.push(html`<li>${t('child', { n: ch.index + 1, status: ch.status })}</li>`);
  for (const r of c.results ?? []) lines.push(html`<li><code>${r.locUri}</code> = <code>${r.data ?? ''}</code></li>`);
  if (c.detail?.missing?.length) lines.push(html`<li>${t('missing', { nodes: c.detail.missing.join(', ') })}</li>`);
  if (c.heldReason) lines.push(html`<li>${t('held', { reason: c.heldReason })}</li>`);
  if (c.detail?.note) lines.push(html`<li>${c.detail.note}</li>`);
  if (c.error) lines.push(html`<li class="error-text">${c.error}</li>`);
  if (lines.length === 0) return html``;
  if (lines.length <= RESULTS_SHOWN)
    return html`<ul class="results">
      ${lines}
    </ul>`;
  return html`<ul class="results">
      ${lines.slice(0, RESULTS_SHOWN - 1)}
    </ul>
    <details>
      <summary>${t('moreResults', { n: lines.length - RESULTS_SHOWN + 1 })}</summary>
      <ul class="results">
        ${lines.slice(RESULTS_SHOWN - 1)}
      </ul>
    </details>`;
}

export function commandTable(lang: Lang, commands: CommandRecord[], cancel: (c: CommandRecord) => Html | undefined): Html {
  const t = tr(lang);
  if (commands.length === 0) return html`<p class="muted">${t('commandsNone')}</p>`;
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label="${t('commandsTitle')}">
    <table class="commands">
      <thead>
        <tr>
          <th scope="col">${t('created')}</th>
          <th scope="col">${t('command')}</th>
          <th scope="col">${t('cmdState')}</th>
          <th scope="col">${t('status')}</th>
          <th scope="col">${t('results')}</th>
          <td></td>
        </tr>
      </thead>
      <tbody>
        ${commands.map(
          (c) =>
            html`<tr data-command="${c.id}" data-action="${c.action ?? ''}" data-state="${c.state}">
              <td>${when(lang, c.createdAt)}</td>
              <td>${commandLabel(c, t)}</td>
              <td><span class="badge ${tone(c.state)}">${known(lang, `cs_${c.state}`, c.state)}</span></td>
              <td>${c.status ?? '—'}</td>
              <td>${commandResults(c, t)}</td>
              <td>${cancel(c) ?? ''}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

export function traceList(lang: Lang, entries: (TraceEntry & { pretty: boolean })[]): Html {
  const t = tr(lang);
  if (entries.length === 0) return html`<p class="muted">${t('traceNone')}</p>`;
  return html`<p class="muted">${t('traceNote')}</p>
    <ol class="trace">
      ${entries.map(
        (m) =>
          html`<li>
            <details>
              <summary>
                ${t('traceMsg', { session: m.sessionId, msg: m.msgId, direction: known(lang, `dir_${m.direction}`, m.direction) })} · ${when(lang, m.at)}
              </summary>
              ${m.truncated || !m.pretty ? html`<p class="muted">${t('truncated')}</p>` : ''}
              <pre class="xml" tabindex="0"><code>${m.body}</code></pre>
            </details>
          </li>`,
      )}
    </ol>`;
}

export const sectionTitle = (
  lang: Lang,
  key: 'nowTitle' | 'historyTitle' | 'matrixTitle' | 'inventoryTitle' | 'enrollmentTitle' | 'commandsTitle' | 'traceTitle',
) => tr(lang)(key);
