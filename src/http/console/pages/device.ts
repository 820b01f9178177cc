// The device page (/console/devices/:id): who is signed in now and before, the users × profiles
// matrix, inventory, enrollment, commands, actions and the session trace. The "signed in now"
// part and the history refresh without a reload: console/assets/device.js fetches
// /console/devices/:id/live every few seconds while the tab is visible and swaps in the parts that
// changed (the page works without it, as of its loading).
import { can } from '../../../service/admins/capabilities.js';
import { deviceView } from '../../../service/devices.js';
import { notFound } from '../../../service/errors.js';
import { prettyTraces } from '../../../service/fleet/trace-view.js';
import type { ConsoleDeps } from '../deps.js';
import { html, type Html } from '../html.js';
import { type Lang, translator } from '../i18n.js';
import { layout } from '../layout.js';
import type { ConsoleRoutes, PageContext } from '../page.js';
import { actionsSection, cancelButton, devicePath, registerDeviceActions } from './device-actions.js';
import { complianceSection, complianceTitle } from './device-compliance.js';
import { deviceAppsSection, deviceAppsTitle } from './apps-device.js';
import { dayZeroSection, dayZeroTitle } from './day-zero.js';
import {
  commandTable,
  type DeviceDetail,
  deviceLabel,
  type LiveDetail,
  enrollment,
  inventory,
  profileMatrix,
  sectionTitle,
  signedInParts,
  traceList,
} from './device-view.js';

/** How often device.js asks for the live part (milliseconds). */
const LIVE_INTERVAL_MS = 5000;
const COMMANDS_SHOWN = 50;
const TRACE_MESSAGES_SHOWN = 30;

const messages = {
  en: {
    back: 'All devices',
    planLink: 'Dry run: what the next session of this device would carry',
    planUser: 'for',
    planNobody: 'nobody signed in',
    planGo: 'Show the dry run',
    released: 'This record is history: its DeviceID enrolled again since, as another record.',
  },
  fr: {
    back: 'Tous les appareils',
    planLink: 'Simulation : ce que porterait la prochaine session de cet appareil',
    planUser: 'pour',
    planNobody: 'personne de connecté',
    planGo: 'Afficher la simulation',
    released: "Cet enregistrement est historique : son DeviceID s'est réinscrit depuis, sous un autre enregistrement.",
  },
};

const tr = (lang: Lang) => translator(messages, lang);
const idOf = (ctx: PageContext) => (ctx.request.params as { id: string }).id;

/**
 * What the live part shows, read on its own (the device record and its sign-ins, not everything
 * the page shows): device.js asks for it every few seconds.
 */
async function liveDetail(deps: ConsoleDeps, ref: string): Promise<LiveDetail> {
  await deps.store.flush();
  const d = (await deps.store.devices.get(ref)) ?? (await deps.store.devices.getByDeviceId(ref));
  if (!d) throw notFound('device');
  return { ...deviceView(d), loginHistory: await deps.store.traces.logins(d.id) };
}

/** The parts device.js swaps, each in a container of its own (the live region stays in place). */
function liveParts(lang: Lang, d: LiveDetail): Html {
  const p = signedInParts(lang, d);
  return html`<div data-part="now">${p.now}</div>
    <div data-part="history">${p.history}</div>`;
}

function planForm(ctx: PageContext, d: DeviceDetail): Html {
  const t = tr(ctx.lang);
  return html`<form method="get" action="/console/profiles/plan" class="inline-form">
    <input type="hidden" name="device" value="${d.id}" />
    <label for="plan-user">${t('planLink')} ${t('planUser')}</label>
    <select id="plan-user" name="user">
      <option value="">${t('planNobody')}</option>
      ${d.loginHistory.map((l) => html`<option value="${l.oid}" ${l.oid === d.signedInUser?.oid ? html` selected` : ''}>${l.upn ?? l.oid}</option>`)}
    </select>
    <button type="submit" class="secondary">${t('planGo')}</button>
  </form>`;
}

async function devicePage(ctx: PageContext, deps: ConsoleDeps): Promise<Html> {
  const lang = ctx.lang;
  const t = tr(lang);
  const d = await deps.devices.get(idOf(ctx));
  const diagnose = can(ctx.principal, 'devices.diagnose');
  const [commands, traces, compliance, apps] = await Promise.all([
    deps.commands.list(d.id, COMMANDS_SHOWN, 0),
    diagnose ? deps.commands.traces(d.id, TRACE_MESSAGES_SHOWN) : undefined,
    deps.deviceCompliance.forDevice(d.id),
    deviceAppsSection(lang, deps, d),
  ]);
  const dayZero = await dayZeroSection(lang, deps, d.id);
  const section = (id: string, title: string, body: Html) =>
    html`<section aria-labelledby="h-${id}">
      <h2 id="h-${id}">${title}</h2>
      ${body}
    </section>`;
  const sp = signedInParts(lang, d);
  const body = html`<p><a href="/console/devices">← ${t('back')}</a></p>
    ${d.released ? html`<p class="notice">${t('released')}</p>` : ''}
    <div class="live" data-live="${devicePath(d.id)}/live" data-interval="${LIVE_INTERVAL_MS}">
      ${section('now', sectionTitle(lang, 'nowTitle'), html`<div data-part="now" aria-live="polite">${sp.now}</div>`)}
      ${section('history', sectionTitle(lang, 'historyTitle'), html`<div data-part="history">${sp.history}</div>`)}
    </div>
    ${actionsSection(ctx, d)}
    ${section('profiles', sectionTitle(lang, 'matrixTitle'), html`${profileMatrix(lang, d.profiles, d.loginHistory)}${diagnose ? planForm(ctx, d) : ''}`)}
    ${section('apps', deviceAppsTitle(lang), apps)} ${section('compliance', complianceTitle(lang), complianceSection(lang, compliance))}
    ${section('day-zero', dayZeroTitle(lang), dayZero)} ${section('inventory', sectionTitle(lang, 'inventoryTitle'), inventory(lang, d))}
    ${section('enrollment', sectionTitle(lang, 'enrollmentTitle'), enrollment(lang, d))}
    ${section(
      'commands',
      sectionTitle(lang, 'commandsTitle'),
      commandTable(lang, commands.commands, (c) => cancelButton(ctx, d.id, c)),
    )}
    ${traces ? section('trace', sectionTitle(lang, 'traceTitle'), traceList(lang, prettyTraces(traces).messages)) : ''}`;
  return layout(ctx, { title: deviceLabel(d), nav: 'devices', body, scripts: ['device.js'] });
}

export function register(routes: ConsoleRoutes, deps: ConsoleDeps): void {
  routes.page('/devices/:id', 'read', (ctx) => devicePage(ctx, deps));
  // The live part alone, for device.js (an HTML fragment, not a page).
  routes.page('/devices/:id/live', 'read', async (ctx) => liveParts(ctx.lang, await liveDetail(deps, idOf(ctx))));
  registerDeviceActions(routes, deps);
}
