// A fake Microsoft Graph over real HTTPS on 127.0.0.1, reached with the real host names
// (graph.microsoft.com / .us through FENESTRA_TEST_OUTBOUND). Bearer tokens are the ones
// fake-entra-app issued, valid only on the Graph host of the cloud they were issued for. A small
// router (addRoute) lets other fakes add their resources; this file serves /v1.0/organization (with
// the tenant's verifiedDomains), /v1.0/servicePrincipals?$filter=appId eq '…' and
// /v1.0/servicePrincipals/{id}/appRoleAssignments.
// throttle(n) answers the next n requests with 429 and Retry-After. Every request's Host is kept.
// Devices (addDevice): GET /v1.0/devices?$filter=deviceId eq '…' and PATCH /v1.0/devices/{id}
// (each PATCH kept in devicePatches; deviceWrites() makes them refused with 403 or 404).
import crypto from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Cloud } from '../../src/domain/tenant.js';
import { GRAPH_HOST, type FakeEntraApp, type IssuedToken, type RequestRecord } from './fake-entra-app.js';

export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

export interface GraphCall {
  method: string;
  host: string;
  cloud: Cloud;
  path: string;
  params: string[];
  query: URLSearchParams;
  body: unknown;
  auth: IssuedToken;
}

export interface GraphAnswer {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface FakeGraph {
  port: number;
  addRoute(method: string, pattern: RegExp, handler: (call: GraphCall) => GraphAnswer | Promise<GraphAnswer>): void;
  /** The next n requests get 429 with this Retry-After (seconds); with `status` (e.g. 500), that status and no Retry-After instead. */
  throttle(n: number, retryAfterSeconds?: number, status?: number): void;
  readonly requests: RequestRecord[];
  /** Register a device in a tenant's Entra ID; returns its object id. */
  addDevice(tenantId: string, deviceId: string): string;
  /** Every PATCH of a device object, in order, with what it set. */
  readonly devicePatches: { tenantId: string; cloud: Cloud; objectId: string; body: Record<string, unknown> }[];
  /** How device PATCHes are answered: 'ok' (204), 'forbidden' (403 Authorization_RequestDenied, not an approved MDM app) or 'not-found' (404). */
  deviceWrites(mode: 'ok' | 'forbidden' | 'not-found'): void;
  close(): Promise<void>;
}

/** A stable fake app-role ID per permission name (as Graph's service principal lists them). */
export const roleId = (value: string) => {
  const h = crypto.createHash('sha256').update(value).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};
const spId = (tenantId: string, appId: string) => roleId(`sp:${tenantId}:${appId}`);

const ALL_ROLES = ['Organization.Read.All', 'Application.Read.All', 'GroupMember.Read.All', 'Device.ReadWrite.All', 'User.Read.All', 'Directory.Read.All'];
const denied = (what: string): GraphAnswer => ({
  status: 403,
  body: { error: { code: 'Authorization_RequestDenied', message: `Insufficient privileges to complete the operation (${what}).` } },
});

export async function startFakeGraph(tls: { certPem: string; keyPem: string }, entra: FakeEntraApp): Promise<FakeGraph> {
  const routes: { method: string; pattern: RegExp; handler: (call: GraphCall) => GraphAnswer | Promise<GraphAnswer> }[] = [];
  const requests: RequestRecord[] = [];
  let throttled = 0;
  let retryAfter = 1;
  let throttleStatus = 429;
  const addRoute: FakeGraph['addRoute'] = (method, pattern, handler) => routes.push({ method, pattern, handler });
  const has = (c: GraphCall, ...roles: string[]) => roles.some((r) => c.auth.roles.includes(r));
  // Entra devices per tenant: device ID (lower case) → object id.
  const devices = new Map<string, Map<string, string>>();
  const devicePatches: FakeGraph['devicePatches'] = [];
  let writes: 'ok' | 'forbidden' | 'not-found' = 'ok';
  const deviceNotFound = (id: string): GraphAnswer => ({
    status: 404,
    body: {
      error: { code: 'Request_ResourceNotFound', message: `Resource '${id}' does not exist or one of its queried reference-property objects are not present.` },
    },
  });
  addRoute('GET', /^\/v1\.0\/devices$/, (c) => {
    if (!has(c, 'Device.Read.All', 'Device.ReadWrite.All', 'Directory.Read.All')) return denied('Device.Read.All');
    const deviceId = /^deviceId eq '([^']+)'$/.exec(c.query.get('$filter') ?? '')?.[1]?.toLowerCase();
    if (!deviceId) return { status: 400, body: { error: { code: 'Request_UnsupportedQuery', message: 'only $filter=deviceId eq is served here' } } };
    const id = devices.get(c.auth.tenantId)?.get(deviceId);
    return { body: { value: id ? [{ id }] : [] } };
  });
  addRoute('PATCH', /^\/v1\.0\/devices\/([^/]+)$/, (c) => {
    if (writes === 'forbidden' || !has(c, 'Device.ReadWrite.All', 'Directory.ReadWrite.All'))
      return denied('only an approved MDM application may set isCompliant and isManaged');
    const known = [...(devices.get(c.auth.tenantId)?.values() ?? [])].includes(c.params[0]);
    if (writes === 'not-found' || !known) return deviceNotFound(c.params[0]);
    devicePatches.push({ tenantId: c.auth.tenantId, cloud: c.cloud, objectId: c.params[0], body: c.body as Record<string, unknown> });
    return { status: 204 };
  });

  addRoute('GET', /^\/v1\.0\/organization$/, (c) => {
    if (!has(c, 'Organization.Read.All', 'Directory.Read.All')) return denied('Organization.Read.All');
    const t = entra.tenants.get(c.auth.tenantId)!;
    const verifiedDomains = t.domains.map((name, i) => ({
      name,
      isDefault: i === 0,
      isInitial: name.endsWith('.onmicrosoft.com'),
      type: 'Managed',
      capabilities: 'Email, OfficeCommunicationsOnline',
    }));
    return { body: { value: [{ id: t.tenantId, displayName: t.displayName, verifiedDomains }] } };
  });
  addRoute('GET', /^\/v1\.0\/servicePrincipals$/, (c) => {
    if (!has(c, 'Application.Read.All', 'Directory.Read.All')) return denied('Application.Read.All');
    const appId = /^appId eq '([^']+)'$/.exec(c.query.get('$filter') ?? '')?.[1];
    const t = entra.tenants.get(c.auth.tenantId)!;
    if (appId === GRAPH_APP_ID)
      return {
        body: {
          value: [{ id: spId(t.tenantId, GRAPH_APP_ID), appId, displayName: 'Microsoft Graph', appRoles: ALL_ROLES.map((v) => ({ id: roleId(v), value: v })) }],
        },
      };
    if (!appId || !t.consents.has(appId)) return { body: { value: [] } };
    return { body: { value: [{ id: spId(t.tenantId, appId), appId, displayName: entra.apps.get(appId)?.displayName }] } };
  });
  addRoute('GET', /^\/v1\.0\/servicePrincipals\/([^/]+)\/appRoleAssignments$/, (c) => {
    if (!has(c, 'Application.Read.All', 'Directory.Read.All')) return denied('Application.Read.All');
    const t = entra.tenants.get(c.auth.tenantId)!;
    const appId = [...t.consents.keys()].find((a) => spId(t.tenantId, a) === c.params[0]);
    if (!appId) return { status: 404, body: { error: { code: 'Request_ResourceNotFound', message: 'no such service principal' } } };
    const roles = t.consents.get(appId)!;
    // Two pages, so the client's nextLink handling is exercised.
    const all = roles.map((r) => ({ appRoleId: roleId(r), resourceId: spId(t.tenantId, GRAPH_APP_ID), principalId: c.params[0] }));
    const page = Number(c.query.get('page') ?? '0');
    const half = Math.ceil(all.length / 2);
    if (page === 0 && all.length > 1)
      return { body: { value: all.slice(0, half), '@odata.nextLink': `https://${c.host}/v1.0/servicePrincipals/${c.params[0]}/appRoleAssignments?page=1` } };
    return { body: { value: page === 0 ? all : all.slice(half) } };
  });

  const server = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const host = String(req.headers.host ?? '').toLowerCase();
        const url = new URL(req.url ?? '/', `https://${host}`);
        requests.push({ host, method: req.method ?? '', path: url.pathname });
        const send = (a: GraphAnswer) => {
          res.writeHead(a.status ?? 200, { 'content-type': 'application/json', ...a.headers });
          res.end(a.body === undefined ? '' : JSON.stringify(a.body));
        };
        const cloud: Cloud | undefined = host === GRAPH_HOST.standard ? 'standard' : host === GRAPH_HOST['gcc-high'] ? 'gcc-high' : undefined;
        if (!cloud) return send({ status: 421, body: { error: { code: 'Misdirected', message: host } } });
        if (throttled > 0) {
          throttled--;
          if (throttleStatus !== 429) return send({ status: throttleStatus, body: { error: { code: 'generalException', message: 'unavailable' } } });
          return send({ status: 429, headers: { 'retry-after': String(retryAfter) }, body: { error: { code: 'TooManyRequests', message: 'throttled' } } });
        }
        const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
        const auth = token ? entra.issued.get(token) : undefined;
        if (!auth || auth.cloud !== cloud)
          return send({ status: 401, body: { error: { code: 'InvalidAuthenticationToken', message: 'Access token validation failure.' } } });
        for (const r of routes) {
          const m = r.method === req.method ? r.pattern.exec(url.pathname) : null;
          if (!m) continue;
          const raw = Buffer.concat(chunks).toString('utf8');
          return send(
            await r.handler({
              method: r.method,
              host,
              cloud,
              path: url.pathname,
              params: m.slice(1),
              query: url.searchParams,
              body: raw ? JSON.parse(raw) : undefined,
              auth,
            }),
          );
        }
        send({ status: 404, body: { error: { code: 'Request_ResourceNotFound', message: `${req.method} ${url.pathname}` } } });
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    addRoute,
    requests,
    addDevice(tenantId, deviceId) {
      const byTenant = devices.get(tenantId) ?? new Map<string, string>();
      devices.set(tenantId, byTenant);
      const id = roleId(`device:${tenantId}:${deviceId.toLowerCase()}`);
      byTenant.set(deviceId.toLowerCase(), id);
      return id;
    },
    devicePatches,
    deviceWrites(mode) {
      writes = mode;
    },
    throttle(n, seconds = 1, status = 429) {
      throttled = n;
      retryAfter = seconds;
      throttleStatus = status;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A CA, a certificate for the four real host names, and the FENESTRA_TEST_OUTBOUND value for both fakes. */
export function outboundEnv(entraPort: number, graphPort: number, caFile: string): Record<string, string> {
  const hosts = [
    `login.microsoftonline.com=127.0.0.1:${entraPort}`,
    `login.microsoftonline.us=127.0.0.1:${entraPort}`,
    `graph.microsoft.com=127.0.0.1:${graphPort}`,
    `graph.microsoft.us=127.0.0.1:${graphPort}`,
  ];
  return { FENESTRA_TEST_OUTBOUND: hosts.join(','), FENESTRA_TEST_OUTBOUND_CA: caFile };
}
