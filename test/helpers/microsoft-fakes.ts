// The fake Entra ID and Microsoft Graph together, as the Entra-group and compliance tests use
// them: both served under the real host names' certificate from one fake Microsoft CA (written
// to a file for FENESTRA_TEST_OUTBOUND_CA), the server environment that sends fenestra's calls
// there, and a tenant connected with an MDM application whose consent grants `roles`.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CertificateAuthority, generateCa, generateServerCertificate } from '../../src/pki/ca.js';
import { Outbound, parseOutboundMap } from '../../src/service/entra/outbound.js';
import { type FakeEntraApp, startFakeEntraApp } from './fake-entra-app.js';
import { type FakeGraph, outboundEnv, startFakeGraph } from './fake-graph.js';
import { AUDIENCE, type TestServer } from './server.js';

export interface MicrosoftFakes {
  entra: FakeEntraApp;
  graph: FakeGraph;
  /** The fake Microsoft CA's certificate (PEM): what FENESTRA_TEST_OUTBOUND_CA names. */
  caPem: string;
  /** FENESTRA_TEST_OUTBOUND and FENESTRA_TEST_OUTBOUND_CA for startTestServer. */
  env: Record<string, string>;
  /** For a test of the services without a server: an Outbound sending where `env` would send the server's calls. The caller closes it. */
  outbound(): Outbound;
  close(): Promise<void>;
}

export async function startMicrosoftFakes(): Promise<MicrosoftFakes> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-ms-fakes-'));
  const ca = generateCa({ commonName: 'Fake Microsoft CA' });
  const tls = generateServerCertificate(CertificateAuthority.fromPem(ca.certPem, ca.keyPem), {
    hostnames: ['login.microsoftonline.com', 'login.microsoftonline.us', 'graph.microsoft.com', 'graph.microsoft.us'],
  });
  const caFile = path.join(dir, 'ca.pem');
  fs.writeFileSync(caFile, ca.certPem);
  const entra = await startFakeEntraApp(tls);
  const graph = await startFakeGraph(tls, entra);
  const env = outboundEnv(entra.port, graph.port, caFile);
  return {
    entra,
    graph,
    caPem: ca.certPem,
    env,
    outbound() {
      const hosts = parseOutboundMap(env.FENESTRA_TEST_OUTBOUND);
      if (typeof hosts === 'string') throw new Error(hosts);
      return new Outbound({ hosts, ca: ca.certPem });
    },
    async close() {
      await graph.close();
      await entra.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** How connectAppTenant sets the tenant and its application up, where a test needs other than the default. */
export interface AppTenantOptions {
  /** The tenant's cloud; 'standard' by default. */
  cloud?: 'standard' | 'gcc-high';
  /** The organization's name in Entra ID (and so in Graph); 'Contoso Ltd' by default. */
  displayName?: string;
  /** The application signs in with this certificate and key instead of a client secret. */
  certificate?: { certPem: string; keyPem: string };
  /** The tenant's verified domains, as Graph's organization lists them; none by default. */
  domains?: string[];
}

/** A tenant known to the fake Entra ID (Standard unless `o.cloud`), connected on `s` (a test server, or a child server's admin API) with an MDM application (client secret, or `o.certificate`) consented to `roles`; `connect` is the API's answer (201). */
export async function connectAppTenant(
  s: Pick<TestServer, 'admin'>,
  entra: FakeEntraApp,
  roles: string[],
  o: AppTenantOptions = {},
): Promise<{ tenantId: string; clientId: string; secret?: string; connect: { status: number; json: any } }> {
  const tenantId = crypto.randomUUID();
  const clientId = crypto.randomUUID();
  const cloud = o.cloud ?? 'standard';
  const secret = o.certificate ? undefined : 'S3cret~' + crypto.randomBytes(12).toString('base64url');
  entra.addTenant({ tenantId, cloud, displayName: o.displayName ?? 'Contoso Ltd', domains: o.domains });
  entra.addApplication(
    o.certificate ? { clientId, displayName: 'Fenestra MDM', certificatePem: o.certificate.certPem } : { clientId, displayName: 'Fenestra MDM', secret },
  );
  entra.consent(tenantId, clientId, roles);
  const connect = await s.admin('POST', '/api/v1/tenants', {
    tenantId,
    cloud,
    audiences: [AUDIENCE],
    appClientId: clientId,
    credential: o.certificate ? { certificatePem: o.certificate.certPem, privateKeyPem: o.certificate.keyPem } : { secret },
  });
  return { tenantId, clientId, secret, connect };
}
