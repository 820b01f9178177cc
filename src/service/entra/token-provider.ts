// App-only tokens for a tenant's Microsoft Graph, by the client-credentials grant from the
// tenant's cloud authority. MSAL does the protocol (client secret or certificate assertion,
// discovery, token cache); one ConfidentialClientApplication per tenant and credential, so a
// token is reused until it nears expiry. All its HTTP goes through Outbound.
import crypto from 'node:crypto';
import { AuthError, ConfidentialClientApplication, LogLevel, type Configuration } from '@azure/msal-node';
import type { Tenant } from '../../domain/tenant.js';
import { cloudEndpoints, graphDefaultScope } from './clouds.js';
import { openAppCredential } from './credentials.js';
import type { Outbound } from './outbound.js';

/** A token request Entra refused, or one that could not be made. */
export class EntraTokenError extends Error {
  readonly code: string;
  readonly description: string;
  constructor(
    /** The AADSTS number when Entra gave one (e.g. "7000215"), else MSAL's or our code. */
    code: string,
    /** Entra's or MSAL's description (no secrets in it). */
    description: string,
  ) {
    super(`token request refused (${code}): ${description}`);
    this.code = code;
    this.description = description;
    this.name = 'EntraTokenError';
  }
}

/**
 * Entra's own sentence out of MSAL's message, which wraps it as "Error(s): 7000112 - Timestamp: … -
 * Description: AADSTS7000112: Application … is disabled. - Correlation ID: … - Trace ID: …".
 */
function entraDescription(text: string): string {
  const first = text.split('\n')[0] ?? '';
  const described = /Description: (.*?)(?: - Correlation ID:| - Trace ID:|$)/.exec(first)?.[1] ?? first;
  return described.replace(/^AADSTS\d+:\s*/, '').trim();
}

function toTokenError(err: unknown): EntraTokenError {
  if (err instanceof EntraTokenError) return err;
  if (err instanceof AuthError) {
    const text = `${err.errorMessage ?? ''}`;
    const aadsts = /AADSTS(\d+)/.exec(text)?.[1];
    return new EntraTokenError(aadsts ?? err.errorCode, entraDescription(text) || err.errorCode);
  }
  return new EntraTokenError('network_error', err instanceof Error ? err.message : String(err));
}

export class EntraAppTokens {
  private readonly apps = new Map<string, { fingerprint: string; app: ConfidentialClientApplication }>();
  private readonly deps: { outbound: Outbound; sealKey: Buffer };

  constructor(deps: { outbound: Outbound; sealKey: Buffer }) {
    this.deps = deps;
  }

  private appFor(tenant: Tenant): ConfidentialClientApplication {
    if (!tenant.appClientId || !tenant.appCredential)
      throw new EntraTokenError('not_configured', 'no application client ID and credential are set on this tenant');
    const fingerprint = crypto.createHash('sha256').update(`${tenant.cloud}\0${tenant.appClientId}\0${tenant.appCredential.sealed}`).digest('hex');
    const cached = this.apps.get(tenant.tenantId);
    if (cached?.fingerprint === fingerprint) return cached.app;
    const cred = openAppCredential(tenant.appCredential, this.deps.sealKey);
    const { authorityHost } = cloudEndpoints(tenant.cloud);
    const config: Configuration = {
      auth: {
        clientId: tenant.appClientId,
        authority: `${authorityHost}/${tenant.tenantId}`,
        // Named as known: MSAL then asks no global instance-discovery endpoint (a .com host) first.
        knownAuthorities: [new URL(authorityHost).host],
        ...(cred.kind === 'secret'
          ? { clientSecret: cred.secret }
          : { clientCertificate: { thumbprintSha256: cred.thumbprintSha256, privateKey: cred.privateKeyPem, x5c: cred.certificatePem } }),
      },
      system: {
        networkClient: this.deps.outbound.msalNetwork(),
        loggerOptions: { logLevel: LogLevel.Error, piiLoggingEnabled: false, loggerCallback: () => {} },
      },
    };
    const app = new ConfidentialClientApplication(config);
    this.apps.set(tenant.tenantId, { fingerprint, app });
    return app;
  }

  /** A Graph access token for the tenant (cached by MSAL). Throws EntraTokenError. */
  async graphToken(tenant: Tenant): Promise<string> {
    try {
      const res = await this.appFor(tenant).acquireTokenByClientCredential({ scopes: [graphDefaultScope(tenant.cloud)] });
      if (!res?.accessToken) throw new EntraTokenError('no_token', 'Entra ID returned no access token');
      return res.accessToken;
    } catch (err) {
      throw toTokenError(err);
    }
  }

  /** Forget a tenant's application (credential changed, tenant disconnected). */
  forget(tenantId: string): void {
    this.apps.delete(tenantId);
  }
}
