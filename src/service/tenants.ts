// Entra tenant connections ("Admin > Microsoft Azure"): connect, change, validate, disconnect —
// each audited. The application's credential is sealed at rest and never shown (tenantView).
import type { Store } from '../store/types.js';
import type { AuditEntry } from '../domain/audit.js';
import { auditEntry } from './audit.js';
import type { AppCredentialKind, Cloud, Tenant, TenantValidation } from '../domain/tenant.js';
import { ApiError, invalid, notFound } from './errors.js';
import { adminConsentUrl } from './entra/clouds.js';
import { sealAppCredential, type AppCredentialInput } from './entra/credentials.js';
import { validateTenant, type ValidateDeps } from './entra/validate.js';

/** A credential as sent: a client secret, or a PEM certificate with its private key. */
export interface CredentialBody {
  secret?: string;
  certificatePem?: string;
  privateKeyPem?: string;
}

export interface TenantInput {
  tenantId: string;
  cloud: Cloud;
  audiences: string[];
  enrollmentUrl?: string | null;
  remediationUrl?: string | null;
  /** Application (client) ID of the app registered for fenestra in the tenant; null removes it and its credential. */
  appClientId?: string | null;
  /** Its client secret or certificate; null removes it. */
  credential?: CredentialBody | null;
}

/** A tenant as the API and console show it: the credential's kind and certificate details, never the credential. */
export type TenantView = Omit<Tenant, 'appCredential'> & {
  credential?: { kind: AppCredentialKind; thumbprint?: string; notAfter?: string; setAt?: string };
};

export function tenantView(t: Tenant): TenantView {
  const { appCredential, ...rest } = t;
  if (!appCredential) return rest;
  const { kind, thumbprint, notAfter, setAt } = appCredential;
  return { ...rest, credential: { kind, ...(thumbprint ? { thumbprint } : {}), ...(notAfter ? { notAfter } : {}), ...(setAt ? { setAt } : {}) } };
}

export interface TenantEntraOptions {
  /** Seals the application credentials (derived from the server secret). */
  sealKey: Buffer;
  /** Token, Graph and outbound access for "validate". */
  validate: ValidateDeps;
  /** Where the admin-consent page sends the browser back to when the caller names none. */
  defaultConsentRedirect: (tenantId: string) => string;
  /** Drops a tenant's cached token client (credential changed, disconnected). */
  forget?: (tenantId: string) => void;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function checkHttpsUrl(pointer: string, v: string | null | undefined): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw invalid(pointer, 'must be an absolute URL');
  }
  if (u.protocol !== 'https:') throw invalid(pointer, 'must use https://');
  return u.toString();
}

function checkAudiences(audiences: string[]): string[] {
  if (audiences.length === 0) throw invalid('/audiences', 'at least one audience (application ID URI or client ID) is required');
  const out: string[] = [];
  audiences.forEach((a, i) => {
    const v = a.trim();
    if (!GUID.test(v)) {
      try {
        new URL(v);
      } catch {
        throw invalid(`/audiences/${i}`, 'must be an application ID URI (e.g. https://mdm.contoso.com) or a client ID GUID');
      }
    }
    if (!out.includes(v)) out.push(v);
  });
  return out;
}

const audit = (actor: string, action: string, tenantId: string, detail?: Record<string, unknown>): AuditEntry =>
  auditEntry(actor, action, 'tenant', tenantId, detail);

function credentialInput(body: CredentialBody): AppCredentialInput {
  const hasCert = body.certificatePem !== undefined || body.privateKeyPem !== undefined;
  if (body.secret !== undefined && hasCert) throw invalid('/credential', 'give either secret, or certificatePem with privateKeyPem, not both');
  if (body.secret !== undefined) return { kind: 'secret', secret: body.secret };
  if (!hasCert) throw invalid('/credential', 'give secret, or certificatePem with privateKeyPem');
  if (!body.certificatePem) throw invalid('/credential/certificatePem', 'is required with privateKeyPem');
  if (!body.privateKeyPem) throw invalid('/credential/privateKeyPem', 'is required with certificatePem');
  return { kind: 'certificate', certificatePem: body.certificatePem, privateKeyPem: body.privateKeyPem };
}

function checkClientId(v: string): string {
  if (!GUID.test(v.trim())) throw invalid('/appClientId', 'must be the application (client) ID GUID of the app registration');
  return v.trim().toLowerCase();
}

export class TenantService {
  private readonly store: Store;
  private readonly entra?: TenantEntraOptions;
  constructor(store: Store, entra?: TenantEntraOptions) {
    this.store = store;
    this.entra = entra;
  }

  async list(): Promise<TenantView[]> {
    return (await this.store.tenants.list()).map(tenantView);
  }

  async get(tenantId: string): Promise<TenantView> {
    return tenantView(await this.stored(tenantId));
  }

  private async stored(tenantId: string): Promise<Tenant> {
    const t = await this.store.tenants.get(tenantId.toLowerCase());
    if (!t) throw notFound('tenant');
    return t;
  }

  private seal(body: CredentialBody) {
    if (!this.entra) throw new ApiError(503, 'unavailable', 'tenant credentials are not available on this server');
    return sealAppCredential(credentialInput(body), this.entra.sealKey, '/credential');
  }

  /** The admin-consent page for the tenant's cloud and application. */
  async consentUrl(tenantId: string, redirectUri?: string): Promise<{ url: string; redirectUri: string }> {
    const t = await this.stored(tenantId);
    if (!t.appClientId) throw new ApiError(409, 'conflict', 'set the application (client) ID first (appClientId)', '/appClientId');
    const back = redirectUri ? checkHttpsUrl('/redirectUri', redirectUri) : this.entra?.defaultConsentRedirect(t.tenantId);
    if (!back) throw invalid('/redirectUri', 'is required');
    return { url: adminConsentUrl(t, t.appClientId, back), redirectUri: back };
  }

  /** Check the connection end to end; the result is kept on the tenant and audited. */
  async validate(tenantId: string, actor: string): Promise<TenantValidation> {
    if (!this.entra) throw new ApiError(503, 'unavailable', 'tenant validation is not available on this server');
    const cur = await this.stored(tenantId);
    const { validation, domains } = await validateTenant(cur, this.entra.validate);
    const failed = validation.checks.filter((c) => !c.ok).map((c) => c.name);
    // Re-read: an edit made while the checks ran keeps its fields; only the validation (and the
    // verified domains, when the organization could be read: else the last ones known stay) is set.
    const latest = (await this.store.tenants.get(cur.tenantId)) ?? cur;
    const ok = await this.store.tenants.update(
      { ...latest, validation, ...(domains ? { domains } : {}) },
      audit(actor, 'tenant.validate', cur.tenantId, { ok: validation.ok, failed }),
    );
    if (!ok) throw notFound('tenant');
    return validation;
  }

  async connect(input: TenantInput, actor: string): Promise<TenantView> {
    if (!GUID.test(input.tenantId)) throw invalid('/tenantId', 'must be the tenant ID GUID');
    const appClientId = input.appClientId ? checkClientId(input.appClientId) : undefined;
    if (input.credential && !appClientId) throw invalid('/appClientId', 'is required with a credential');
    const appCredential = input.credential ? this.seal(input.credential) : undefined;
    const now = new Date().toISOString();
    const t: Tenant = {
      tenantId: input.tenantId.toLowerCase(),
      cloud: input.cloud,
      audiences: checkAudiences(input.audiences),
      enrollmentUrl: checkHttpsUrl('/enrollmentUrl', input.enrollmentUrl),
      remediationUrl: checkHttpsUrl('/remediationUrl', input.remediationUrl),
      ...(appClientId ? { appClientId } : {}),
      ...(appCredential ? { appCredential } : {}),
      createdAt: now,
      updatedAt: now,
    };
    const detail = {
      cloud: t.cloud,
      audiences: t.audiences,
      ...(appClientId ? { appClientId } : {}),
      ...(appCredential ? { credential: tenantView(t).credential } : {}),
    };
    const ok = await this.store.tenants.create(t, audit(actor, 'tenant.connect', t.tenantId, detail));
    if (!ok) throw new ApiError(409, 'conflict', 'this tenant is already connected');
    return tenantView(t);
  }

  async change(tenantId: string, patch: Partial<Omit<TenantInput, 'tenantId'>>, actor: string): Promise<TenantView> {
    const cur = await this.stored(tenantId);
    const appClientId = patch.appClientId === undefined ? cur.appClientId : patch.appClientId === null ? undefined : checkClientId(patch.appClientId);
    let appCredential = patch.credential === undefined ? cur.appCredential : patch.credential === null ? undefined : this.seal(patch.credential);
    // No client ID, no credential: removing the application removes its secret or certificate too.
    if (!appClientId) {
      if (patch.credential) throw invalid('/appClientId', 'is required with a credential');
      appCredential = undefined;
    }
    const next: Tenant = {
      ...cur,
      appClientId,
      appCredential,
      cloud: patch.cloud ?? cur.cloud,
      audiences: patch.audiences ? checkAudiences(patch.audiences) : cur.audiences,
      enrollmentUrl: patch.enrollmentUrl !== undefined ? checkHttpsUrl('/enrollmentUrl', patch.enrollmentUrl) : cur.enrollmentUrl,
      remediationUrl: patch.remediationUrl !== undefined ? checkHttpsUrl('/remediationUrl', patch.remediationUrl) : cur.remediationUrl,
      updatedAt: new Date().toISOString(),
    };
    const changed: Record<string, { from: unknown; to: unknown }> = {};
    for (const k of ['cloud', 'audiences', 'enrollmentUrl', 'remediationUrl', 'appClientId'] as const) {
      if (JSON.stringify(cur[k]) !== JSON.stringify(next[k])) changed[k] = { from: cur[k] ?? null, to: next[k] ?? null };
    }
    // The audit names the credential's kind and thumbprint, never the credential.
    if (cur.appCredential?.sealed !== next.appCredential?.sealed)
      changed.credential = { from: tenantView(cur).credential ?? null, to: tenantView(next).credential ?? null };
    if (Object.keys(changed).length === 0) return tenantView(cur);
    // What was validated is no longer what is configured: the old result would mislead.
    if (changed.cloud || changed.appClientId || changed.credential) delete next.validation;
    const ok = await this.store.tenants.update(next, audit(actor, 'tenant.change', cur.tenantId, changed));
    if (!ok) throw notFound('tenant');
    this.entra?.forget?.(cur.tenantId);
    return tenantView(next);
  }

  async disconnect(tenantId: string, actor: string): Promise<void> {
    const cur = await this.stored(tenantId);
    const ok = await this.store.tenants.delete(cur.tenantId, audit(actor, 'tenant.disconnect', cur.tenantId, { cloud: cur.cloud }));
    if (!ok) throw notFound('tenant');
    this.entra?.forget?.(cur.tenantId);
  }
}
