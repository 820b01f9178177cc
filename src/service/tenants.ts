// Entra tenant connections ("Admin > Microsoft Azure"): connect, change, disconnect — each audited.
import type { Store } from '../store/types.js';
import type { AuditEntry } from '../domain/audit.js';
import { auditEntry } from './audit.js';
import type { Cloud, Tenant } from '../domain/tenant.js';
import { ApiError, invalid, notFound } from './errors.js';

export interface TenantInput {
  tenantId: string;
  cloud: Cloud;
  audiences: string[];
  enrollmentUrl?: string | null;
  remediationUrl?: string | null;
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

export class TenantService {
  constructor(private readonly store: Store) {}

  list(): Promise<Tenant[]> {
    return this.store.tenants.list();
  }

  async get(tenantId: string): Promise<Tenant> {
    const t = await this.store.tenants.get(tenantId.toLowerCase());
    if (!t) throw notFound('tenant');
    return t;
  }

  async connect(input: TenantInput, actor: string): Promise<Tenant> {
    if (!GUID.test(input.tenantId)) throw invalid('/tenantId', 'must be the tenant ID GUID');
    const now = new Date().toISOString();
    const t: Tenant = {
      tenantId: input.tenantId.toLowerCase(),
      cloud: input.cloud,
      audiences: checkAudiences(input.audiences),
      enrollmentUrl: checkHttpsUrl('/enrollmentUrl', input.enrollmentUrl),
      remediationUrl: checkHttpsUrl('/remediationUrl', input.remediationUrl),
      createdAt: now,
      updatedAt: now,
    };
    const ok = await this.store.tenants.create(t, audit(actor, 'tenant.connect', t.tenantId, { cloud: t.cloud, audiences: t.audiences }));
    if (!ok) throw new ApiError(409, 'conflict', 'this tenant is already connected');
    return t;
  }

  async change(tenantId: string, patch: Partial<Omit<TenantInput, 'tenantId'>>, actor: string): Promise<Tenant> {
    const cur = await this.get(tenantId);
    const next: Tenant = {
      ...cur,
      cloud: patch.cloud ?? cur.cloud,
      audiences: patch.audiences ? checkAudiences(patch.audiences) : cur.audiences,
      enrollmentUrl: patch.enrollmentUrl !== undefined ? checkHttpsUrl('/enrollmentUrl', patch.enrollmentUrl) : cur.enrollmentUrl,
      remediationUrl: patch.remediationUrl !== undefined ? checkHttpsUrl('/remediationUrl', patch.remediationUrl) : cur.remediationUrl,
      updatedAt: new Date().toISOString(),
    };
    const changed: Record<string, { from: unknown; to: unknown }> = {};
    for (const k of ['cloud', 'audiences', 'enrollmentUrl', 'remediationUrl'] as const) {
      if (JSON.stringify(cur[k]) !== JSON.stringify(next[k])) changed[k] = { from: cur[k] ?? null, to: next[k] ?? null };
    }
    if (Object.keys(changed).length === 0) return cur;
    const ok = await this.store.tenants.update(next, audit(actor, 'tenant.change', cur.tenantId, changed));
    if (!ok) throw notFound('tenant');
    return next;
  }

  async disconnect(tenantId: string, actor: string): Promise<void> {
    const cur = await this.get(tenantId);
    const ok = await this.store.tenants.delete(cur.tenantId, audit(actor, 'tenant.disconnect', cur.tenantId, { cloud: cur.cloud }));
    if (!ok) throw notFound('tenant');
  }
}
