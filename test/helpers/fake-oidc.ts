// A fake Entra ID OpenID provider for the console's sign-in tests: a real HTTP server on
// 127.0.0.1 with Entra's paths under /<tenant>/ — the v2.0 discovery document, the JWKS, /authorize
// and /token. /authorize signs in the user the test chose (no page: it redirects straight back
// with a code, or with the error the test asked for) and records the PKCE challenge; /token checks
// the code, the redirect URI, the client secret and the code verifier against that challenge, and
// issues an RS256 ID token with Entra's claims (oid, tid, preferred_username, name, roles, groups,
// nonce).
//
//   const idp = await startFakeOidc({ tenantId, clientId, clientSecret });
//   idp.user = { oid, preferred_username: 'ada@contoso.test', name: 'Ada', groups: [ownersGroup] };
//   ... FENESTRA_CONSOLE_ENTRA_AUTHORITY: idp.authority ...
//   await idp.close();
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';

export interface FakeOidcUser {
  oid: string;
  preferred_username: string;
  name?: string;
  /** App roles (the `roles` claim). */
  roles?: string[];
  /** Group object ids (the `groups` claim). */
  groups?: string[];
}

export interface AuthorizeRecord {
  clientId: string | null;
  redirectUri: string | null;
  state: string | null;
  nonce: string | null;
  codeChallenge: string | null;
  codeChallengeMethod: string | null;
  scope: string | null;
}

export interface FakeOidc {
  /** http://127.0.0.1:PORT — FENESTRA_CONSOLE_ENTRA_AUTHORITY. */
  authority: string;
  /** <authority>/<tenant>/v2.0 */
  issuer: string;
  /** Who /authorize signs in next. */
  user: FakeOidcUser;
  /**
   * /authorize first shows a page whose "Continue" link (id "continue") goes on, as a real sign-in
   * page does: the way back to the client then starts from the provider's site (browser tests).
   */
  interactive?: boolean;
  /** When set, /authorize answers with this error (e.g. access_denied) instead of a code. */
  authorizeError?: string;
  /** Merged into the next ID tokens (e.g. a wrong aud or iss); undefined claims are left out. */
  idTokenOverrides?: Record<string, unknown>;
  /** Every /authorize request, in order. */
  readonly authorizations: AuthorizeRecord[];
  /** Every /token refusal, as `error: description`. */
  readonly tokenRefusals: string[];
  close(): Promise<void>;
}

interface IssuedCode {
  user: FakeOidcUser;
  clientId: string;
  redirectUri: string;
  nonce: string | null;
  challenge: string | null;
  method: string | null;
  expires: number;
}

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

export async function startFakeOidc(opts: { tenantId: string; clientId: string; clientSecret: string }): Promise<FakeOidc> {
  const { publicKey, privateKey } = (await generateKeyPair('RS256', { modulusLength: 2048 })) as { publicKey: CryptoKey; privateKey: CryptoKey };
  const kid = randomUUID();
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, use: 'sig', kty: 'RSA' };
  const codes = new Map<string, IssuedCode>();
  const base = { authority: '' };
  const tenantPath = `/${opts.tenantId}`;

  const json = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));

  const tokenError = (res: ServerResponse, error: string, description: string) => {
    fake.tokenRefusals.push(`${error}: ${description}`);
    json(res, 400, { error, error_description: description });
  };

  function authorize(url: URL, res: ServerResponse): void {
    const q = url.searchParams;
    const rec: AuthorizeRecord = {
      clientId: q.get('client_id'),
      redirectUri: q.get('redirect_uri'),
      state: q.get('state'),
      nonce: q.get('nonce'),
      codeChallenge: q.get('code_challenge'),
      codeChallengeMethod: q.get('code_challenge_method'),
      scope: q.get('scope'),
    };
    if (fake.interactive && q.get('signed_in') !== '1') {
      const again = new URL(url);
      again.searchParams.set('signed_in', '1');
      const href = again.toString().replace(/&/g, '&amp;').replace(/"/g, '&quot;');
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end(`<!doctype html><title>Sign in</title><a id="continue" href="${href}">Continue</a>`);
      return;
    }
    fake.authorizations.push(rec);
    // Like Entra: an unknown client or redirect URI is an error page, never a redirect.
    if (rec.clientId !== opts.clientId || !rec.redirectUri || q.get('response_type') !== 'code') {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('AADSTS700016: unknown client, or response_type is not code');
      return;
    }
    const back = new URL(rec.redirectUri);
    if (fake.authorizeError) {
      back.searchParams.set('error', fake.authorizeError);
      back.searchParams.set('error_description', `AADSTS65004: the user or administrator said no (${fake.authorizeError})`);
    } else {
      const code = randomBytes(24).toString('base64url');
      codes.set(code, {
        user: fake.user,
        clientId: rec.clientId,
        redirectUri: rec.redirectUri,
        nonce: rec.nonce,
        challenge: rec.codeChallenge,
        method: rec.codeChallengeMethod,
        expires: Date.now() + 60_000,
      });
      back.searchParams.set('code', code);
    }
    if (rec.state !== null) back.searchParams.set('state', rec.state);
    res.writeHead(302, { location: back.toString() }).end();
  }

  async function token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    let clientId = form.get('client_id');
    let secret = form.get('client_secret');
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
    if (basic) {
      const [id, s] = Buffer.from(basic[1], 'base64').toString('utf8').split(':').map(decodeURIComponent);
      clientId = id;
      secret = s;
    }
    if (clientId !== opts.clientId || secret !== opts.clientSecret) return tokenError(res, 'invalid_client', 'AADSTS7000215: invalid client secret');
    if (form.get('grant_type') !== 'authorization_code') return tokenError(res, 'unsupported_grant_type', 'only authorization_code');
    const code = form.get('code') ?? '';
    const issued = codes.get(code);
    codes.delete(code); // once only
    if (!issued || issued.expires < Date.now() || issued.clientId !== clientId) return tokenError(res, 'invalid_grant', 'AADSTS70008: unknown or expired code');
    if (form.get('redirect_uri') !== issued.redirectUri)
      return tokenError(res, 'invalid_grant', 'AADSTS50148: redirect_uri differs from the authorization request');
    if (issued.challenge !== null) {
      const verifier = form.get('code_verifier') ?? '';
      const computed = issued.method === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
      if (!verifier || computed !== issued.challenge)
        return tokenError(res, 'invalid_grant', 'AADSTS50148: the code_verifier does not match the code_challenge');
    }
    const u = issued.user;
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      ver: '2.0',
      iss: fake.issuer,
      aud: opts.clientId,
      sub: createHash('sha256').update(`${u.oid}:${opts.clientId}`).digest('base64url'),
      oid: u.oid,
      tid: opts.tenantId,
      preferred_username: u.preferred_username,
      name: u.name,
      roles: u.roles,
      groups: u.groups,
      nonce: issued.nonce ?? undefined,
      iat: now,
      nbf: now,
      exp: now + 3600,
      ...fake.idTokenOverrides,
    };
    for (const k of Object.keys(claims)) if (claims[k] === undefined) delete claims[k];
    const idToken = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(privateKey);
    json(res, 200, { token_type: 'Bearer', scope: 'openid profile', expires_in: 3600, access_token: randomBytes(32).toString('base64url'), id_token: idToken });
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', base.authority);
    const p = url.pathname;
    if (req.method === 'GET' && p === `${tenantPath}/v2.0/.well-known/openid-configuration`) {
      return json(res, 200, {
        issuer: fake.issuer,
        authorization_endpoint: `${base.authority}${tenantPath}/oauth2/v2.0/authorize`,
        token_endpoint: `${base.authority}${tenantPath}/oauth2/v2.0/token`,
        jwks_uri: `${base.authority}${tenantPath}/discovery/v2.0/keys`,
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'oid', 'roles', 'groups'],
      });
    }
    if (req.method === 'GET' && p === `${tenantPath}/discovery/v2.0/keys`) return json(res, 200, { keys: [jwk] });
    if (req.method === 'GET' && p === `${tenantPath}/oauth2/v2.0/authorize`) return authorize(url, res);
    if (req.method === 'POST' && p === `${tenantPath}/oauth2/v2.0/token`) {
      token(req, res).catch((err: unknown) => json(res, 500, { error: 'server_error', error_description: String(err) }));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  base.authority = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const fake: FakeOidc = {
    authority: base.authority,
    issuer: `${base.authority}${tenantPath}/v2.0`,
    user: { oid: randomUUID(), preferred_username: 'someone@contoso.test' },
    authorizations: [],
    tokenRefusals: [],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}
