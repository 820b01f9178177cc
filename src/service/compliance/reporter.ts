// Reports one device's compliance to Entra ID: finds the device object by its Entra device ID,
// then PATCHes its isCompliant and isManaged, on the tenant's cloud (service/entra/graph-client).
// One try per call: the outbox (outbox.ts) decides when to try again.
//
// What Microsoft documents for "Update device" (Graph v1.0, PATCH /devices/{id}; learn.microsoft.com,
// graph/api/device-update), in our words: an application needs the Device.ReadWrite.All
// permission (Directory.ReadWrite.All also does) with admin consent; isCompliant and isManaged
// may be set only by Intune or by an approved MDM application, and only on Windows devices —
// any other caller is refused (403, Authorization_RequestDenied) even with that permission. So a
// refusal is expected until Microsoft approves the customer's application as an MDM app, and we
// say so on the tenant and device pages instead of retrying for ever. The device is addressed
// by its object id, which the deviceId filter ($filter=deviceId eq '…', Device.Read.All suffices)
// gives.
import type { Tenant } from '../../domain/tenant.js';
import type { ComplianceReport } from '../../store/types.js';
import { GraphError } from '../entra/graph-client.js';
import { OutboundError } from '../entra/outbound.js';
import { EntraTokenError } from '../entra/token-provider.js';

export type ReportOutcome =
  | { kind: 'sent' }
  /** Worth another try later (throttled, Graph or the network unavailable, a token not obtained). */
  | { kind: 'retry'; error: string; retryAfterMs?: number }
  /** Microsoft Graph (or the tenant's set-up) refuses it: an administrator must act. */
  | { kind: 'refused'; error: string }
  /** Never going to work (tenant disconnected, a request Graph calls malformed). */
  | { kind: 'failed'; error: string };

/** What the reporter needs of the Graph client. */
export interface GraphAccess {
  get<T>(tenant: Tenant, path: string): Promise<T>;
  patch(tenant: Tenant, path: string, body: unknown): Promise<void>;
}

export interface ReporterDeps {
  graph: GraphAccess;
  tenant(tenantId: string): Promise<Tenant | undefined>;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The Graph call that failed, as the row and the tenant page show it. */
function graphFailure(err: GraphError, what: string): ReportOutcome {
  const text = `${what}: Microsoft Graph answered ${err.status} ${err.code}: ${err.message}`;
  if (err.status === 403)
    return {
      kind: 'refused',
      error: `${text} (Microsoft lets only Intune and approved MDM applications set isCompliant and isManaged; the application also needs Device.ReadWrite.All with admin consent)`,
    };
  if (err.status === 404) return { kind: 'refused', error: `${text} (the device is not in this tenant's Entra ID)` };
  if (err.status === 401 || err.status === 408 || err.status === 429 || err.status === 0 || err.status >= 500)
    return { kind: 'retry', error: text, retryAfterMs: err.retryAfterMs };
  return { kind: 'failed', error: text };
}

export class ComplianceReporter {
  private readonly deps: ReporterDeps;
  constructor(deps: ReporterDeps) {
    this.deps = deps;
  }

  async report(r: ComplianceReport): Promise<ReportOutcome> {
    const tenant = await this.deps.tenant(r.tenantId);
    if (!tenant) return { kind: 'failed', error: `tenant ${r.tenantId} is not connected to fenestra` };
    if (!tenant.appClientId || !tenant.appCredential)
      return { kind: 'refused', error: "no application is set on this tenant: give its MDM application's client ID and credential" };
    if (!GUID.test(r.entraDeviceId)) return { kind: 'failed', error: `the Entra device ID ${JSON.stringify(r.entraDeviceId)} is not a GUID` };
    let step = 'finding the device';
    try {
      const filter = encodeURIComponent(`deviceId eq '${r.entraDeviceId.toLowerCase()}'`);
      const found = await this.deps.graph.get<{ value?: { id?: string }[] }>(tenant, `/v1.0/devices?$filter=${filter}&$select=id`);
      const objectId = found.value?.[0]?.id;
      if (!objectId) return { kind: 'refused', error: `no device with device ID ${r.entraDeviceId} in this tenant's Entra ID` };
      step = 'updating the device';
      await this.deps.graph.patch(tenant, `/v1.0/devices/${encodeURIComponent(objectId)}`, { isCompliant: r.isCompliant, isManaged: r.isManaged });
      return { kind: 'sent' };
    } catch (err) {
      if (err instanceof GraphError) return graphFailure(err, step);
      if (err instanceof OutboundError) return { kind: 'retry', error: `${step}: ${err.message}` };
      if (err instanceof EntraTokenError)
        return err.code === 'not_configured'
          ? { kind: 'refused', error: err.description }
          : { kind: 'retry', error: `no Graph token for the tenant: ${err.message}` };
      throw err;
    }
  }
}
