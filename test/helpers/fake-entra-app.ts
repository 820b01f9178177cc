// A fake Entra ID for application (client-credentials) tokens, over real HTTPS on 127.0.0.1,
// reached with the real host names (FENESTRA_TEST_OUTBOUND maps them here; the certificate is
// issued for login.microsoftonline.com and .us by the test CA). It knows tenants (each in one
// cloud), registered applications (a client secret or a certificate) and admin consent per
// (tenant, application) with the Graph permissions granted. It serves the tenant discovery
// document and /{tenant}/oauth2/v2.0/token, checks the client secret or the client assertion
// (jwt-bearer; a JWT signed by the registered certificate's key, RS256 or PS256, naming that
// certificate by x5t#S256 and/or x5t; issuer and subject the client ID, audience the token
// endpoint; minutes of clock skew allowed, as Entra ID does — MSAL rounds its "nbf" to
// the nearest second), and records every request's Host. Tokens are opaque, looked up by fake-graph.
import crypto from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import type { Cloud } from '../../src/domain/tenant.js';

export const LOGIN_HOST: Record<Cloud, string> = { standard: 'login.microsoftonline.com', 'gcc-high': 'login.microsoftonline.us' };
export const GRAPH_HOST: Record<Cloud, string> = { standard: 'graph.microsoft.com', 'gcc-high': 'graph.microsoft.us' };

export interface FakeTenantEntry {
  tenantId: string;
  cloud: Cloud;
  displayName: string;
  /** Verified domain names, as Graph's organization lists them (verifiedDomains[].name; none unless given). */
  domains: string[];
  /** clientId → Graph application permissions granted with admin consent. */
  consents: Map<string, string[]>;
}

export interface FakeApplication {
  clientId: string;
  displayName: string;
  secret?: string;
  /** The secret is past its end date (Entra's AADSTS7000222). */
  secretExpired?: boolean;
  certificatePem?: string;
  /** Disabled by an administrator of the tenant (Entra's AADSTS7000112). */
  disabled?: boolean;
}

export interface IssuedToken {
  tenantId: string;
  clientId: string;
  cloud: Cloud;
  roles: string[];
}

export interface RequestRecord {
  host: string;
  method: string;
  path: string;
}

export interface FakeEntraApp {
  port: number;
  addTenant(t: { tenantId: string; cloud: Cloud; displayName?: string; domains?: string[] }): FakeTenantEntry;
  addApplication(a: FakeApplication): void;
  /** An administrator of the tenant consents to the application with these Graph permissions. */
  consent(tenantId: string, clientId: string, roles: string[]): void;
  tenants: Map<string, FakeTenantEntry>;
  apps: Map<string, FakeApplication>;
  issued: Map<string, IssuedToken>;
  readonly requests: RequestRecord[];
  /** How each token request was authenticated, in order: 'secret' | 'certificate'. */
  readonly tokenAuth: string[];
  close(): Promise<void>;
}

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

const cloudOfHost = (host: string): Cloud | undefined => (host === LOGIN_HOST.standard ? 'standard' : host === LOGIN_HOST['gcc-high'] ? 'gcc-high' : undefined);

function aadError(status: number, error: string, code: number, text: string) {
  return { status, body: { error, error_description: `AADSTS${code}: ${text}`, error_codes: [code] } };
}

export async function startFakeEntraApp(tls: { certPem: string; keyPem: string }): Promise<FakeEntraApp> {
  const tenants = new Map<string, FakeTenantEntry>();
  const apps = new Map<string, FakeApplication>();
  const issued = new Map<string, IssuedToken>();
  const requests: RequestRecord[] = [];
  const tokenAuth: string[] = [];

  async function token(host: string, cloud: Cloud, tenantId: string, form: URLSearchParams) {
    const tenant = tenants.get(tenantId);
    if (!tenant || (tenant.cloud === 'standard' && cloud === 'gcc-high')) return aadError(400, 'invalid_request', 90002, `Tenant '${tenantId}' not found.`);
    if (tenant.cloud !== cloud) return aadError(400, 'invalid_request', 900439, 'USGClientNotSupportedOnPublicEndpoint');
    if (form.get('grant_type') !== 'client_credentials') return aadError(400, 'unsupported_grant_type', 70003, 'grant type not supported');
    const clientId = form.get('client_id') ?? '';
    const app = apps.get(clientId);
    const roles = tenant.consents.get(clientId);
    if (!app || !roles)
      return aadError(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${tenantId}'.`);
    if (app.disabled) return aadError(401, 'unauthorized_client', 7000112, `Application '${clientId}'(${app.displayName}) is disabled.`);
    const endpoint = `https://${host}/${tenantId}/oauth2/v2.0/token`;
    const assertion = form.get('client_assertion');
    if (assertion) {
      if (form.get('client_assertion_type') !== JWT_BEARER) return aadError(400, 'invalid_request', 50027, 'client_assertion_type is not jwt-bearer');
      if (form.has('client_secret')) return aadError(400, 'invalid_request', 90015, 'both client_secret and client_assertion');
      if (!app.certificatePem) return aadError(401, 'invalid_client', 700027, 'no certificate registered');
      const cert = new crypto.X509Certificate(app.certificatePem);
      try {
        // The header names the certificate by its SHA-256 (x5t#S256) or SHA-1 (x5t) thumbprint,
        // base64url; each one given must be the registered certificate's.
        const header = decodeProtectedHeader(assertion);
        const thumb = (hex: string) => Buffer.from(hex.replaceAll(':', ''), 'hex').toString('base64url');
        if (header['x5t#S256'] === undefined && header.x5t === undefined) throw new Error('no x5t or x5t#S256 header');
        if (header['x5t#S256'] !== undefined && header['x5t#S256'] !== thumb(cert.fingerprint256))
          throw new Error('x5t#S256 is not the registered certificate');
        if (header.x5t !== undefined && header.x5t !== thumb(cert.fingerprint)) throw new Error('x5t is not the registered certificate');
        const { payload } = await jwtVerify(assertion, cert.publicKey, {
          audience: endpoint,
          issuer: clientId,
          subject: clientId,
          clockTolerance: 300,
          algorithms: ['RS256', 'PS256'],
        });
        if (!payload.exp) throw new Error('no exp');
      } catch (err) {
        return aadError(401, 'invalid_client', 700027, `Client assertion failed signature validation: ${(err as Error).message}`);
      }
      tokenAuth.push('certificate');
    } else {
      if (!app.secret || form.get('client_secret') !== app.secret) return aadError(401, 'invalid_client', 7000215, 'Invalid client secret provided.');
      if (app.secretExpired) return aadError(401, 'invalid_client', 7000222, 'The provided client secret keys are expired.');
      tokenAuth.push('secret');
    }
    if (form.get('scope') !== `https://${GRAPH_HOST[cloud]}/.default`)
      return aadError(400, 'invalid_resource', 500011, `resource ${form.get('scope')} not found`);
    const accessToken = crypto.randomBytes(24).toString('base64url');
    issued.set(accessToken, { tenantId, clientId, cloud, roles: [...roles] });
    return { status: 200, body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: accessToken } };
  }

  function discovery(host: string, cloud: Cloud, tenantId: string) {
    const tenant = tenants.get(tenantId);
    // A commercial tenant is unknown to the US Government cloud; a GCC High tenant looked up on the
    // commercial cloud is found but says which cloud it lives in.
    if (!tenant || (tenant.cloud === 'standard' && cloud === 'gcc-high')) return aadError(400, 'invalid_tenant', 90002, `Tenant '${tenantId}' not found.`);
    const base = `https://${host}/${tenantId}`;
    return {
      status: 200,
      body: {
        issuer: `${base}/v2.0`,
        token_endpoint: `${base}/oauth2/v2.0/token`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        jwks_uri: `https://${host}/${tenantId}/discovery/v2.0/keys`,
        cloud_instance_name: tenant.cloud === 'gcc-high' ? 'microsoftonline.us' : 'microsoftonline.com',
        tenant_region_scope: tenant.cloud === 'gcc-high' ? 'USGov' : 'NA',
      },
    };
  }

  const server = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const host = String(req.headers.host ?? '').toLowerCase();
        const url = new URL(req.url ?? '/', `https://${host}`);
        requests.push({ host, method: req.method ?? '', path: url.pathname });
        const cloud = cloudOfHost(host);
        let out: { status: number; body: unknown };
        let m: RegExpExecArray | null;
        if (!cloud) out = { status: 421, body: { error: 'misdirected', error_description: `not a login host: ${host}` } };
        else if (req.method === 'GET' && url.pathname === '/common/discovery/instance')
          out = {
            status: 200,
            body: {
              tenant_discovery_endpoint: `https://${host}/common/v2.0/.well-known/openid-configuration`,
              metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
            },
          };
        else if (req.method === 'GET' && (m = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(url.pathname)))
          out = discovery(host, cloud, m[1]!.toLowerCase());
        else if (req.method === 'POST' && (m = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname)))
          out = await token(host, cloud, m[1]!.toLowerCase(), new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
        else out = { status: 404, body: { error: 'not_found' } };
        res.writeHead(out.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(out.body));
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    tenants,
    apps,
    issued,
    requests,
    tokenAuth,
    addTenant(t) {
      const e: FakeTenantEntry = {
        tenantId: t.tenantId.toLowerCase(),
        cloud: t.cloud,
        displayName: t.displayName ?? 'Contoso',
        domains: t.domains ?? [],
        consents: new Map(),
      };
      tenants.set(e.tenantId, e);
      return e;
    },
    addApplication(a) {
      apps.set(a.clientId, a);
    },
    consent(tenantId, clientId, roles) {
      tenants.get(tenantId.toLowerCase())!.consents.set(clientId, roles);
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
