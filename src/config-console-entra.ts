// The console's Entra ID settings: administrators sign in to the console with Entra ID (OpenID Connect,
// authorization code with PKCE). Off when none is set; the tenant, client id, client secret and
// role mapping go together. See docs/operations.md "Console sign-in with Entra ID".
import { ENTRA_AUTHORITIES, type EntraCloud } from './identity/entra.js';
import { parseEntraRoleMapping, type EntraRoleMapping } from './identity/entra-roles.js';
import type { ConfigEnv } from './config-env.js';
import { ENTRA_CALLBACK_PATH } from './identity/entra-sign-in.js';

export interface ConsoleEntraConfig {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  cloud: EntraCloud;
  /** Base URL of the authority (the cloud's login host, or FENESTRA_CONSOLE_ENTRA_AUTHORITY in tests); the issuer is <authority>/<tenant>/v2.0. */
  authority: string;
  /** The authority is plain HTTP on a test machine (FENESTRA_ENV=test only). */
  insecureHttp: boolean;
  /** Where Entra sends the browser back: registered as the app's Web redirect URI. */
  redirectUri: string;
  roles: EntraRoleMapping;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const REQUIRED = [
  'FENESTRA_CONSOLE_ENTRA_TENANT_ID',
  'FENESTRA_CONSOLE_ENTRA_CLIENT_ID',
  'FENESTRA_CONSOLE_ENTRA_CLIENT_SECRET',
  'FENESTRA_CONSOLE_ENTRA_ROLES',
] as const;
const OPTIONAL = ['FENESTRA_CONSOLE_ENTRA_CLOUD', 'FENESTRA_CONSOLE_ENTRA_AUTHORITY', 'FENESTRA_CONSOLE_ENTRA_REDIRECT_URI'] as const;

function httpUrl(raw: string, name: string, problems: string[]): URL | undefined {
  try {
    const u = new URL(raw);
    if (u.protocol === 'https:' || u.protocol === 'http:') return u;
  } catch {
    // reported below
  }
  problems.push(`${name}=${JSON.stringify(raw)} is not an http(s) URL`);
  return undefined;
}

export function parseConsoleEntra(
  env: ConfigEnv,
  ctx: { publicUrl: string; adminListen: boolean; test: boolean; production: boolean },
  problems: string[],
): ConsoleEntraConfig | undefined {
  const set = REQUIRED.filter((n) => env[n]);
  if (set.length === 0) {
    const stray = OPTIONAL.filter((n) => env[n]);
    if (stray.length) problems.push(`${stray.join(' and ')} set but console sign-in with Entra ID is off (${REQUIRED.join(', ')} are not set)`);
    return undefined;
  }
  if (set.length !== REQUIRED.length) {
    // Names only: the secret's value is never echoed.
    problems.push(`console sign-in with Entra ID needs ${REQUIRED.join(', ')} together: ${REQUIRED.filter((n) => !env[n]).join(', ')} missing`);
    return undefined;
  }
  const tenantId = env.FENESTRA_CONSOLE_ENTRA_TENANT_ID!.trim().toLowerCase();
  if (!GUID.test(tenantId)) problems.push('FENESTRA_CONSOLE_ENTRA_TENANT_ID must be the directory (tenant) id, a GUID, not a domain name');
  const clientId = env.FENESTRA_CONSOLE_ENTRA_CLIENT_ID!.trim().toLowerCase();
  if (!GUID.test(clientId)) problems.push("FENESTRA_CONSOLE_ENTRA_CLIENT_ID must be the app registration's application (client) id, a GUID");
  const cloud = (env.FENESTRA_CONSOLE_ENTRA_CLOUD ?? 'standard').trim();
  if (cloud !== 'standard' && cloud !== 'gcc-high') problems.push(`FENESTRA_CONSOLE_ENTRA_CLOUD=${JSON.stringify(cloud)} must be standard or gcc-high`);
  let authority = ENTRA_AUTHORITIES[cloud === 'gcc-high' ? 'gcc-high' : 'standard'];
  let insecureHttp = false;
  if (env.FENESTRA_CONSOLE_ENTRA_AUTHORITY) {
    const u = httpUrl(env.FENESTRA_CONSOLE_ENTRA_AUTHORITY, 'FENESTRA_CONSOLE_ENTRA_AUTHORITY', problems);
    if (u) {
      authority = u.toString().replace(/\/+$/, '');
      // The ID token's signing keys and the client secret travel to it: plain HTTP is for a local fake provider in tests.
      insecureHttp = u.protocol === 'http:';
      if (insecureHttp && !ctx.test) problems.push('FENESTRA_CONSOLE_ENTRA_AUTHORITY must use https:// (http:// only with FENESTRA_ENV=test)');
    }
  }
  let redirectUri = ctx.publicUrl + ENTRA_CALLBACK_PATH;
  if (env.FENESTRA_CONSOLE_ENTRA_REDIRECT_URI) {
    const u = httpUrl(env.FENESTRA_CONSOLE_ENTRA_REDIRECT_URI, 'FENESTRA_CONSOLE_ENTRA_REDIRECT_URI', problems);
    if (u) {
      redirectUri = u.toString();
      if (u.pathname !== ENTRA_CALLBACK_PATH || u.search || u.hash)
        problems.push(`FENESTRA_CONSOLE_ENTRA_REDIRECT_URI must end with ${ENTRA_CALLBACK_PATH} (no query)`);
      if (ctx.production && u.protocol !== 'https:') problems.push('FENESTRA_CONSOLE_ENTRA_REDIRECT_URI must use https:// in production');
    }
  } else if (ctx.adminListen) {
    // The console is then on the admin listener, whose address browsers use is not known here.
    problems.push(
      `FENESTRA_CONSOLE_ENTRA_REDIRECT_URI is required with FENESTRA_ADMIN_LISTEN: the console's address as browsers reach it, ending with ${ENTRA_CALLBACK_PATH}`,
    );
  }
  const roles = parseEntraRoleMapping(env.FENESTRA_CONSOLE_ENTRA_ROLES!, 'FENESTRA_CONSOLE_ENTRA_ROLES', problems);
  if (!roles) return undefined;
  return {
    tenantId,
    clientId,
    clientSecret: env.FENESTRA_CONSOLE_ENTRA_CLIENT_SECRET!,
    cloud: cloud === 'gcc-high' ? 'gcc-high' : 'standard',
    authority,
    insecureHttp,
    redirectUri,
    roles,
  };
}
