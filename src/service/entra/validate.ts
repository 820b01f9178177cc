// "Validate" on a tenant connection: ask the tenant's cloud about the tenant, obtain an app-only
// token, read the organization and the application's service principal with its Microsoft Graph
// permissions, and say check by check what is wrong in words an administrator can act on.
import type { Tenant, TenantValidation, TenantValidationCheck } from '../../domain/tenant.js';
import { cloudEndpoints } from './clouds.js';
import { GraphError, type GraphClient } from './graph-client.js';
import type { Outbound } from './outbound.js';
import { EntraTokenError, type EntraAppTokens } from './token-provider.js';

/** Microsoft Graph's own application ID (the resource the permissions are granted on). */
const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

/** The application permissions fenestra uses, and what for. */
export const REQUIRED_PERMISSIONS: readonly { value: string; why: string }[] = [
  { value: 'Organization.Read.All', why: 'to confirm the tenant' },
  { value: 'Application.Read.All', why: "to check the application's own permissions" },
  { value: 'GroupMember.Read.All', why: 'Entra groups as assignment targets' },
  { value: 'Device.ReadWrite.All', why: 'compliance reported to Entra' },
];

const CLOUD_NAME = { standard: 'the commercial cloud (Standard)', 'gcc-high': 'GCC High' } as const;
const INSTANCE = { standard: 'microsoftonline.com', 'gcc-high': 'microsoftonline.us' } as const;

export interface ValidateDeps {
  outbound: Outbound;
  tokens: EntraAppTokens;
  graph: GraphClient;
  now?: () => Date;
}

type Check = TenantValidationCheck;
const ok = (name: string, message: string): Check => ({ name, ok: true, message });
const bad = (name: string, message: string): Check => ({ name, ok: false, message });

async function tenantCheck(t: Tenant, deps: ValidateDeps): Promise<Check> {
  const { authorityHost } = cloudEndpoints(t.cloud);
  const host = new URL(authorityHost).host;
  let res;
  try {
    res = await deps.outbound.request(`${authorityHost}/${t.tenantId}/v2.0/.well-known/openid-configuration`, { method: 'GET' });
  } catch (err) {
    return bad('tenant', `${host} could not be reached (${(err as Error).message}); check the server's outbound network access.`);
  }
  let body: { cloud_instance_name?: string; error_codes?: number[]; error_description?: string } = {};
  try {
    body = JSON.parse(res.body) as typeof body;
  } catch {
    // judged by the status below
  }
  if (res.status === 200) {
    const instance = body.cloud_instance_name;
    if (instance && instance !== INSTANCE[t.cloud]) {
      const other = instance === INSTANCE['gcc-high'] ? 'gcc-high' : 'standard';
      return bad('cloud', `The tenant belongs to ${CLOUD_NAME[other]}, not ${CLOUD_NAME[t.cloud]}: change the tenant's cloud to "${other}".`);
    }
    return ok('tenant', `Tenant ${t.tenantId} exists in ${CLOUD_NAME[t.cloud]}.`);
  }
  if (res.status === 400 && (body.error_codes?.includes(90002) || /AADSTS90002/.test(body.error_description ?? ''))) {
    const hint =
      t.cloud === 'gcc-high'
        ? ' If it is a commercial tenant, change the cloud to "standard".'
        : ' If it is a GCC High tenant, change the cloud to "gcc-high".';
    return bad('tenant', `No tenant ${t.tenantId} in ${CLOUD_NAME[t.cloud]}: check the tenant ID (Entra admin center > Overview > Tenant ID).${hint}`);
  }
  return bad('tenant', `${host} answered HTTP ${res.status} about tenant ${t.tenantId}: ${body.error_description?.split('\n')[0] ?? 'no details'}.`);
}

function credentialExpiry(t: Tenant, now: Date): Check | undefined {
  const c = t.appCredential;
  if (c?.kind !== 'certificate' || !c.notAfter) return undefined;
  const left = Date.parse(c.notAfter) - now.getTime();
  if (left <= 0)
    return bad('credential', `The certificate (thumbprint ${c.thumbprint}) expired on ${c.notAfter}: upload a new one to the app registration and here.`);
  const days = Math.floor(left / 86_400_000);
  if (days < 30) return ok('credential', `The certificate (thumbprint ${c.thumbprint}) expires in ${days} days (${c.notAfter}): renew it soon.`);
  return undefined;
}

function tokenFailure(t: Tenant, e: EntraTokenError): Check {
  const clientId = t.appClientId;
  switch (e.code) {
    case '700016':
      return bad(
        'consent',
        `Application ${clientId} is not known in tenant ${t.tenantId}: an administrator of the tenant has not granted consent yet (open the consent URL and accept), or the application (client) ID is mistyped.`,
      );
    case '7000215':
      return bad('credential', "The client secret is wrong: paste the secret's Value (not its Secret ID) from the app registration's Certificates & secrets.");
    case '7000222':
      return bad('credential', 'The client secret has expired: create a new one in the app registration (Certificates & secrets) and enter it here.');
    case '700027':
    case '700024':
    case '700023':
      return bad(
        'credential',
        `Entra ID did not accept the certificate${t.appCredential?.thumbprint ? ` (thumbprint ${t.appCredential.thumbprint})` : ''}: upload it to the app registration's Certificates & secrets, or replace an expired one.`,
      );
    case '90002':
      return bad('tenant', `No tenant ${t.tenantId} in ${CLOUD_NAME[t.cloud]}: check the tenant ID and the cloud.`);
    case '900439':
    case '900441':
    case '900382':
      return bad('cloud', `Entra ID says the tenant is in another cloud than ${CLOUD_NAME[t.cloud]}: change the tenant's cloud.`);
    case 'network_error':
      return bad('credential', `No token: ${e.description}. Check the server's outbound network access.`);
    default:
      return bad('credential', `Entra ID refused the token request (${/^\d+$/.test(e.code) ? `AADSTS${e.code}` : e.code}): ${e.description}`);
  }
}

const graphProblem = (e: unknown) => (e instanceof GraphError ? `${e.code}: ${e.message}` : (e as Error).message);

interface ServicePrincipal {
  id: string;
  appId: string;
  displayName?: string;
  appRoles?: { id: string; value?: string }[];
}

interface Organization {
  id: string;
  displayName?: string;
  verifiedDomains?: { name?: unknown }[];
}

/** A tenant holds at most 5000 domains (Entra's limit); anything past that or not a DNS name is dropped. */
const MAX_DOMAINS = 5000;
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/;

function domainNames(org: Organization): string[] {
  const out = new Set<string>();
  for (const d of Array.isArray(org.verifiedDomains) ? org.verifiedDomains : []) {
    const name = typeof d?.name === 'string' ? d.name.trim().toLowerCase() : '';
    if (DNS_NAME.test(name) && out.size < MAX_DOMAINS) out.add(name);
  }
  return [...out].sort();
}

/** What a validation found: the checks, and the tenant's verified domains when the organization could be read. */
export interface TenantValidationResult {
  validation: TenantValidation;
  domains?: string[];
}

/** Run every check it can; a failing step stops the ones that depend on it. */
export async function validateTenant(t: Tenant, deps: ValidateDeps): Promise<TenantValidationResult> {
  const now = deps.now?.() ?? new Date();
  const checks: Check[] = [];
  let domains: string[] | undefined;
  const done = (): TenantValidationResult => ({
    validation: { at: now.toISOString(), ok: checks.every((c) => c.ok), checks },
    ...(domains ? { domains } : {}),
  });

  const tc = await tenantCheck(t, deps);
  checks.push(tc);
  if (!tc.ok) return done();
  if (!t.appClientId || !t.appCredential) {
    checks.push(bad('application', 'Set the application (client) ID of the app registered for fenestra, and its client secret or certificate.'));
    return done();
  }
  const expiry = credentialExpiry(t, now);
  if (expiry && !expiry.ok) {
    checks.push(expiry);
    return done();
  }
  try {
    await deps.tokens.graphToken(t);
    checks.push(expiry ?? ok('credential', `A token was obtained with the ${t.appCredential.kind === 'secret' ? 'client secret' : 'certificate'}.`));
  } catch (err) {
    checks.push(tokenFailure(t, err instanceof EntraTokenError ? err : new EntraTokenError('network_error', (err as Error).message)));
    return done();
  }

  try {
    const org = await deps.graph.get<{ value?: Organization[] }>(t, '/v1.0/organization?$select=id,displayName,verifiedDomains');
    const mine = org.value?.find((o) => o.id.toLowerCase() === t.tenantId);
    if (mine) domains = domainNames(mine);
    checks.push(
      mine
        ? ok('organization', `Organization: ${mine.displayName ?? mine.id}.`)
        : bad('organization', `Microsoft Graph did not return organization ${t.tenantId}.`),
    );
  } catch (err) {
    checks.push(
      bad('organization', `The organization could not be read (${graphProblem(err)}): grant the Organization.Read.All permission and consent again.`),
    );
  }

  let sp: ServicePrincipal | undefined;
  let graphSp: ServicePrincipal | undefined;
  try {
    const q = (appId: string, select: string) => `/v1.0/servicePrincipals?$filter=${encodeURIComponent(`appId eq '${appId}'`)}&$select=${select}`;
    sp = (await deps.graph.get<{ value?: ServicePrincipal[] }>(t, q(t.appClientId, 'id,appId,displayName'))).value?.[0];
    if (!sp) {
      checks.push(
        bad('consent', `Application ${t.appClientId} has no service principal in the tenant: an administrator must grant consent (open the consent URL).`),
      );
      return done();
    }
    checks.push(ok('consent', `The application "${sp.displayName ?? sp.appId}" is consented in the tenant.`));
    graphSp = (await deps.graph.get<{ value?: ServicePrincipal[] }>(t, q(GRAPH_APP_ID, 'id,appId,appRoles'))).value?.[0];
  } catch (err) {
    checks.push(bad('permissions', `The application's permissions could not be read (${graphProblem(err)}): grant Application.Read.All and consent again.`));
    return done();
  }
  try {
    const granted = new Set<string>();
    for await (const page of deps.graph.pages<{ appRoleId: string; resourceId: string }>(t, `/v1.0/servicePrincipals/${sp.id}/appRoleAssignments`)) {
      for (const a of page) {
        if (graphSp && a.resourceId !== graphSp.id) continue;
        const role = graphSp?.appRoles?.find((r) => r.id === a.appRoleId);
        if (role?.value) granted.add(role.value);
      }
    }
    const missing = REQUIRED_PERMISSIONS.filter((p) => !granted.has(p.value));
    checks.push(
      missing.length === 0
        ? ok('permissions', `Every Microsoft Graph permission fenestra needs is granted (${REQUIRED_PERMISSIONS.map((p) => p.value).join(', ')}).`)
        : bad(
            'permissions',
            `Missing Microsoft Graph application permissions: ${missing.map((p) => `${p.value} (${p.why})`).join(', ')}. Add them in the app registration's API permissions, then grant admin consent again.`,
          ),
    );
  } catch (err) {
    checks.push(bad('permissions', `The application's permissions could not be read (${graphProblem(err)}).`));
  }
  return done();
}
