// Where a tenant's calls go, by its cloud: the sign-in authority (tokens, admin consent) and
// Microsoft Graph. Standard tenants use the .com hosts; GCC High tenants the .us hosts only.
import type { Cloud, Tenant } from '../../domain/tenant.js';

export interface CloudEndpoints {
  /** https://login.microsoftonline.com (no trailing slash). */
  authorityHost: string;
  /** https://graph.microsoft.com (no trailing slash, no version). */
  graphBase: string;
}

const ENDPOINTS: Readonly<Record<Cloud, CloudEndpoints>> = {
  standard: { authorityHost: 'https://login.microsoftonline.com', graphBase: 'https://graph.microsoft.com' },
  'gcc-high': { authorityHost: 'https://login.microsoftonline.us', graphBase: 'https://graph.microsoft.us' },
};

export function cloudEndpoints(cloud: Cloud): CloudEndpoints {
  return ENDPOINTS[cloud];
}

/** The scope asking for every application permission granted to the app on this cloud's Graph. */
export const graphDefaultScope = (cloud: Cloud): string => `${cloudEndpoints(cloud).graphBase}/.default`;

/**
 * The page where a tenant's administrator grants the application's permissions for the whole
 * organisation; Entra sends the browser back to redirectUri with `admin_consent=True` or an error.
 */
export function adminConsentUrl(tenant: Pick<Tenant, 'tenantId' | 'cloud'>, clientId: string, redirectUri: string): string {
  const u = new URL(`${cloudEndpoints(tenant.cloud).authorityHost}/${encodeURIComponent(tenant.tenantId)}/v2.0/adminconsent`);
  u.searchParams.set('client_id', clientId);
  u.searchParams.set('scope', graphDefaultScope(tenant.cloud));
  u.searchParams.set('redirect_uri', redirectUri);
  return u.toString();
}
