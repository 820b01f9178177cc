// Windows Hello policies in the provisioning document (issue #16). Windows asks for a PIN right
// after an Entra join, before its first OMA-DM session has delivered anything: the device-scope
// Hello profiles that apply to the enrolling device are therefore put into the enrollment's
// wap-provisioningdoc, and recorded as delivered at their version so the first session does not
// send them again; a later version reaches the device through OMA-DM as any profile does (the
// reconciler's delta from that version).
//
// What applies is decided by the profile catalog's own targeting (targetsFor): assigned to all,
// to the device or its groups, to the enrolling user (oid, UPN) or their groups, or to Entra
// groups holding the Entra device or the user (synced membership). Only profiles of the enrolling
// tenant ride: PassportForWork keys its policies by tenant, and a policy for another tenant would
// not govern this user's PIN.
import type { WapNode } from '../../protocol/wap.js';
import type { Device } from '../../domain/device.js';
import type { ProfileDelivery } from '../../domain/profile.js';
import type { Store } from '../../store/types.js';
import { entraPrincipals, targetsFor, type EntraMemberships, type LiveProfile, type ProfileCatalog } from '../reconcile/catalog.js';

/** What enrollment needs of the reconciler (app.ts passes the Reconciler itself). */
export interface ProvisioningProfiles {
  readonly catalog: Pick<ProfileCatalog, 'snapshot'>;
  entraGroupsOf(principals: string[], stamps: number[]): Promise<EntraMemberships>;
}

/** The delivery rows' detail: where these settings went. */
export const IN_PROVISIONING_DOC = 'in the provisioning document';

const PFW = './Device/Vendor/MSFT/PassportForWork/';
const WAP_FORMATS = new Set(['bool', 'int', 'chr']);

/**
 * A compiled Hello profile's nodes as provisioning-document leaves, or undefined when it cannot
 * ride: another tenant's policies, a node outside PassportForWork, a secret or a format the
 * document has no datatype for.
 */
export function wapNodesOf(p: Pick<LiveProfile, 'kind' | 'scope' | 'compiled'>, tenantId: string): WapNode[] | undefined {
  if (p.kind !== 'hello' || p.scope !== 'device' || p.compiled.app) return undefined;
  const tenant = tenantId.toLowerCase();
  const out: WapNode[] = [];
  for (const n of p.compiled.units.flatMap((u) => u.nodes)) {
    if (!n.uri.startsWith(PFW) || n.secret || !WAP_FORMATS.has(n.format)) return undefined;
    const first = n.uri.slice(PFW.length).split('/')[0];
    if (first !== 'Biometrics' && first.toLowerCase() !== tenant) return undefined;
    out.push({ uri: n.uri, format: n.format as WapNode['format'], value: n.value });
  }
  return out.length ? out : undefined;
}

export interface Provisioned {
  /** Leaves for the document, in delivery order (profile id, then DDF order). */
  nodes: WapNode[];
  /** Delivery rows to write once the document is built: delivered at the version it carries. */
  rows: ProfileDelivery[];
}

/** The Hello profiles that apply to a device being enrolled in `tenantId`, as document leaves and delivery rows. */
export async function provisionedProfiles(
  profiles: ProvisioningProfiles,
  store: Pick<Store, 'entraGroups'>,
  device: Pick<Device, 'id' | 'deviceId' | 'entraDeviceId' | 'userOid' | 'upn'>,
  tenantId: string | undefined,
  at: string,
): Promise<Provisioned> {
  const out: Provisioned = { nodes: [], rows: [] };
  if (!tenantId) return out;
  const snap = await profiles.catalog.snapshot();
  const principals = snap.entraTargets ? entraPrincipals(device) : [];
  const stamps = principals.length ? await store.entraGroups.stamps(principals) : [];
  const entra = principals.length ? await profiles.entraGroupsOf(principals, stamps) : undefined;
  for (const p of targetsFor(snap, device, undefined, entra).device) {
    const nodes = wapNodesOf(p, tenantId);
    if (!nodes) continue;
    out.nodes.push(...nodes);
    out.rows.push({
      devicePk: device.id,
      userKey: '',
      profileId: p.id,
      version: p.version,
      appliedVersion: p.version,
      status: 'delivered',
      detail: IN_PROVISIONING_DOC,
      updatedAt: at,
    });
  }
  return out;
}
