// Branding and help contacts (issue #16): the "all done" page at the end of MDM enrollment
// (DMClient Provider/<id>/CustomEnrollmentCompletePage/{Title,BodyText,HyperlinkHref,HyperlinkText})
// and the help contacts Windows shows under Access work or school (HelpPhoneNumber, HelpWebsite,
// HelpEmailAddress). Set by the admin (validated, audited), kept in the settings table, and
// delivered to each device in its first session and again whenever they change.
//
// Delivery (like the check-in schedule): one Atomic per change — Add for nodes the device is not
// known to hold (an existing node answers 418 and the engine sends that member again as Replace),
// Replace for nodes it holds with another value, Delete for nodes it holds that the admin cleared.
// Each device's state (what it acknowledged, what is on its way, a refusal) is kept under
// 'branding:device:<pk>'; a refused delivery is retried an hour later (setting-delivery.ts, the
// mechanism the schedule shares). Every change bumps the profile generation, so an idle session
// of a device found up to date costs at most one generation read, as for the schedule.
//
// The page is shown at the end of the enrollment itself, before the first OMA-DM session: for it
// to show on the enrollment that sets it, the same nodes must be in the provisioning document
// (DMClient characteristic): brandingProvisioning() gives them to enroll.ts, protocol/wap.ts writes them. Later
// changes only reach later enrollments' pages; the help contacts are read from the DM tree
// whenever Settings shows them, so OMA-DM delivery suffices for them.
import crypto from 'node:crypto';
import type { CommandPayload, CommandRecord } from '../domain/command.js';
import type { Device } from '../domain/device.js';
import type { Store } from '../store/types.js';
import { auditEntry } from './audit.js';
import { newCommand } from './commands/queue.js';
import { ApiError } from './errors.js';
import { bringToWanted, quietUntil, Remembered, settlePending } from './setting-delivery.js';

/** The admin's branding: every field optional (absent or '' is not set: the device's node is deleted). */
export interface Branding {
  completePageTitle?: string;
  completePageText?: string;
  completePageLinkHref?: string;
  completePageLinkText?: string;
  helpPhoneNumber?: string;
  helpWebsite?: string;
  helpEmailAddress?: string;
}

export type BrandingField = keyof Branding;

/** Each field's DMClient node under Provider/<ProviderID>, in the order they are sent, and its longest value. */
export const BRANDING_NODES: Record<BrandingField, { node: string; maxLength: number }> = {
  completePageTitle: { node: 'CustomEnrollmentCompletePage/Title', maxLength: 100 },
  completePageText: { node: 'CustomEnrollmentCompletePage/BodyText', maxLength: 1000 },
  completePageLinkHref: { node: 'CustomEnrollmentCompletePage/HyperlinkHref', maxLength: 2048 },
  completePageLinkText: { node: 'CustomEnrollmentCompletePage/HyperlinkText', maxLength: 100 },
  helpPhoneNumber: { node: 'HelpPhoneNumber', maxLength: 32 },
  helpWebsite: { node: 'HelpWebsite', maxLength: 2048 },
  helpEmailAddress: { node: 'HelpEmailAddress', maxLength: 254 },
};

export const BRANDING_FIELDS = Object.keys(BRANDING_NODES) as BrandingField[];

const ACTION = 'branding';

// C0 controls (and DEL) are refused everywhere but the body text's line breaks and tabs: XML 1.0
// cannot carry most of them, and no title or contact needs one.
const hasControl = (v: string, linesAllowed: boolean): boolean => {
  for (const ch of v) {
    const c = ch.charCodeAt(0);
    if ((c < 0x20 || c === 0x7f) && !(linesAllowed && (c === 0x09 || c === 0x0a || c === 0x0d))) return true;
  }
  return false;
};
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const PHONE = /^\+?[0-9 ().\-/]+$/;

const refuse = (field: BrandingField, message: string) => new ApiError(400, 'invalid', message, `/${field}`);

function httpsUrl(field: BrandingField, v: string): void {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw refuse(field, 'must be an absolute https:// URL');
  }
  if (u.protocol !== 'https:' || !u.hostname) throw refuse(field, 'must be an absolute https:// URL');
  if (u.username || u.password) throw refuse(field, 'must not carry a user name or password');
}

/**
 * The branding as stored: each field trimmed, empty ones left out, checked (length, control
 * characters, https URLs, an e-mail address, a phone number's characters, no link text without
 * its link). A refusal is a 400 naming the field.
 */
export function checkBranding(input: Record<string, unknown>): Branding {
  const out: Branding = {};
  for (const key of Object.keys(input)) {
    if (!(BRANDING_FIELDS as string[]).includes(key)) throw new ApiError(400, 'invalid', `unknown field ${key}`, `/${key}`);
  }
  for (const f of BRANDING_FIELDS) {
    const raw = input[f];
    if (raw === undefined || raw === null) continue;
    if (typeof raw !== 'string') throw refuse(f, 'must be a string');
    // Line breaks as \n (a browser's textarea sends \r\n).
    const v = raw.replace(/\r\n?/g, '\n').trim();
    if (!v) continue;
    const max = BRANDING_NODES[f].maxLength;
    if ([...v].length > max) throw refuse(f, `must be at most ${max} characters`);
    if (hasControl(v, f === 'completePageText')) throw refuse(f, 'must not contain control characters');
    if (f === 'completePageLinkHref' || f === 'helpWebsite') httpsUrl(f, v);
    if (f === 'helpEmailAddress' && !EMAIL.test(v)) throw refuse(f, 'must be an e-mail address (help@contoso.com)');
    if (f === 'helpPhoneNumber' && (!PHONE.test(v) || (v.match(/[0-9]/g) ?? []).length < 3)) {
      throw refuse(f, 'must be a phone number: digits, spaces and + ( ) . - / only, at least 3 digits');
    }
    out[f] = v;
  }
  if (out.completePageLinkText && !out.completePageLinkHref) throw refuse('completePageLinkHref', 'is needed when completePageLinkText is set');
  return out;
}

/** Node (under Provider/<id>) → value, for the fields set. */
export function brandingNodes(b: Branding): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of BRANDING_FIELDS) if (b[f]) out[BRANDING_NODES[f].node] = b[f];
  return out;
}

const hashOf = (nodes: Record<string, string>): string =>
  crypto
    .createHash('sha256')
    .update(
      JSON.stringify(
        Object.keys(nodes)
          .sort()
          .map((k) => [k, nodes[k]]),
      ),
    )
    .digest('hex')
    .slice(0, 32);

/**
 * The command that takes a device from `held` (nodes it is known to hold; undefined: unknown) to
 * `want`: Add what it may not hold, Replace what it holds otherwise, Delete what it holds and the
 * admin cleared. Undefined when there is nothing to send.
 */
export function brandingPayload(providerId: string, held: Record<string, string> | undefined, want: Record<string, string>): CommandPayload | undefined {
  const base = `./Device/Vendor/MSFT/DMClient/Provider/${encodeURIComponent(providerId)}`;
  const commands: CommandPayload[] = [];
  for (const [node, data] of Object.entries(want)) {
    const had = held?.[node];
    if (had === data) continue;
    commands.push({ kind: had === undefined ? 'Add' : 'Replace', items: [{ target: `${base}/${node}`, format: 'chr', data }] });
  }
  for (const node of Object.keys(held ?? {})) if (!(node in want)) commands.push({ kind: 'Delete', items: [{ target: `${base}/${node}` }] });
  return commands.length ? { kind: 'Atomic', commands } : undefined;
}

interface DeviceBrandingState {
  enrolledAt: string;
  applied?: { hash: string; nodes: Record<string, string>; at: string };
  pending?: { hash: string; nodes: Record<string, string>; commandId: string; at: string };
  failure?: { hash: string; error: string; at: string };
}

export interface BrandingView {
  branding: Branding;
  updatedAt?: string;
}

/** Where a device stands with the branding (the device page). */
export interface DeviceBrandingView {
  state: 'applied' | 'pending' | 'failed' | 'none';
  since?: string;
  error?: string;
}

function parseBranding(value: string | undefined): Branding {
  if (!value) return {};
  try {
    return JSON.parse(value) as Branding;
  } catch {
    return {};
  }
}

/**
 * The branding nodes a new enrollment's provisioning document should carry in its DMClient
 * Provider/<ProviderID> characteristic, as (node path under the provider, value); empty when none
 * is set. 'CustomEnrollmentCompletePage/Title' is characteristic CustomEnrollmentCompletePage ›
 * parm Title (datatype string).
 */
export async function brandingProvisioning(store: Store): Promise<{ node: string; value: string }[]> {
  const nodes = brandingNodes(parseBranding((await store.branding.get())?.value));
  return Object.entries(nodes).map(([node, value]) => ({ node, value }));
}

export class BrandingService {
  /** Devices found holding the branding with nothing on its way (or waiting to retry), with the generation and enrollment they were found at. */
  private readonly quiet = new Remembered();
  private readonly store: Store;
  private readonly providerId: string;

  constructor(store: Store, providerId = '') {
    this.store = store;
    this.providerId = providerId;
  }

  // ---- admin -------------------------------------------------------------------------------------

  async get(): Promise<BrandingView> {
    const row = await this.store.branding.get();
    return row ? { branding: parseBranding(row.value), updatedAt: row.updatedAt } : { branding: {} };
  }

  async set(input: Record<string, unknown>, actor: string): Promise<BrandingView> {
    const b = checkBranding(input);
    const at = new Date().toISOString();
    await this.store.branding.set(JSON.stringify(b), at, auditEntry(actor, 'settings.branding.set', 'settings', 'branding', { branding: b }));
    return { branding: b, updatedAt: at };
  }

  // ---- devices -----------------------------------------------------------------------------------

  private async load(device: Device): Promise<{ want: Record<string, string>; state: DeviceBrandingState; fresh: boolean }> {
    const [row, raw] = await Promise.all([this.store.branding.get(), this.store.branding.deviceState(device.id)]);
    const want = brandingNodes(parseBranding(row?.value));
    let stored: DeviceBrandingState | undefined;
    try {
      stored = raw ? (JSON.parse(raw) as DeviceBrandingState) : undefined;
    } catch {
      stored = undefined;
    }
    if (stored && stored.enrolledAt === device.enrolledAt) return { want, state: stored, fresh: false };
    // A new enrollment: what it holds is unknown (its provisioning document may have carried the
    // branding); with nothing to set, nothing is to be done.
    const state: DeviceBrandingState = { enrolledAt: device.enrolledAt };
    if (Object.keys(want).length === 0) state.applied = { hash: hashOf(want), nodes: {}, at: device.enrolledAt };
    return { want, state, fresh: true };
  }

  /** Fold the answer of the pending delivery into the state (acknowledged, or failed). */
  private settle(state: DeviceBrandingState, at: string): Promise<DeviceBrandingState> {
    return settlePending(this.store, state, at, (p, ackedAt) => ({ hash: p.hash, nodes: p.nodes, at: ackedAt }));
  }

  /** Session-engine hook, at the start of a session: the command that brings the device's DMClient branding nodes to the admin's. */
  async due(device: Device, at: string, generation?: number): Promise<CommandRecord[]> {
    const mark = `${generation ?? (await this.store.profiles.generation())}|${device.enrolledAt}`;
    if (this.quiet.has(device.id, mark, at)) return [];
    const loaded = await this.load(device);
    const hash = hashOf(loaded.want);
    const settled = await this.settle(loaded.state, at);
    const out: CommandRecord[] = [];
    const { state, changed } = await bringToWanted(this.store, settled, hash, at, (s) => {
      const payload = brandingPayload(this.providerId, s.applied?.nodes, loaded.want);
      if (!payload) return { ...s, pending: undefined, applied: { hash, nodes: loaded.want, at } };
      const cmd = newCommand(device.id, payload, { origin: 'system', action: ACTION, at });
      out.push(cmd);
      return { ...s, pending: { hash, nodes: loaded.want, commandId: cmd.id, at } };
    });
    if (loaded.fresh || settled !== loaded.state || changed) await this.store.branding.putDeviceState(device.id, JSON.stringify(state), at);
    this.quiet.set(device.id, mark, quietUntil(state, hash, at));
    return out;
  }

  /** Where the device stands (reads only). */
  async view(device: Device): Promise<DeviceBrandingView> {
    const loaded = await this.load(device);
    const hash = hashOf(loaded.want);
    const state = await this.settle(loaded.state, new Date().toISOString());
    if (Object.keys(loaded.want).length === 0 && !state.pending) return { state: 'none' };
    if (state.pending) return { state: 'pending', since: state.pending.at };
    if (state.failure?.hash === hash) return { state: 'failed', since: state.failure.at, error: state.failure.error };
    if (state.applied?.hash === hash) return { state: 'applied', since: state.applied.at };
    return { state: 'pending' };
  }
}
