// A fake Entra ID for tests and benchmarks: a real HTTP server on 127.0.0.1 serving the tenant
// JWKS at GET /{tid}/discovery/v2.0/keys, and a minter of real RS256 access tokens (jose SignJWT).
// Point EntraValidator at it with `authorityOverride: fake.authority`.
//
//   const entra = await startFakeEntra();
//   const token = await entra.mintToken({ tid, aud: 'https://mdm.example.com' });
//   ...
//   await entra.close();
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID, randomBytes } from 'node:crypto';
import { SignJWT, generateKeyPair, exportJWK, calculateJwkThumbprint, type JWK, type CryptoKey } from 'jose';

export interface MintClaims {
  tid: string;
  aud: string | string[];
  /** Defaults to a fresh random GUID; see `omit` to leave it out. */
  oid?: string;
  upn?: string;
  preferred_username?: string;
  unique_name?: string;
  deviceid?: string;
  /** Default 'v2'. v1 issuer: https://sts.windows.net/{tid}/ ; v2: {authority}/{tid}/v2.0 */
  version?: 'v1' | 'v2';
  /** exp = now + expiresInSec (default 3600; negative = already expired). */
  expiresInSec?: number;
  /** nbf = now + nbfOffsetSec (default 0; positive = not yet valid). */
  nbfOffsetSec?: number;
  /** Replaces the computed issuer. */
  issuer?: string;
  /** Header kid; defaults to the current signing key's kid. */
  kid?: string;
  /**
   * Header alg; default RS256 with the current signing key (whose public half is in the JWKS).
   * 'none' → unsigned token; 'HS256'/'HS384'/'HS512' → HMAC with a random secret;
   * other JOSE algs (RS384, PS256, ES256, ...) → signed with a throw-away key of that type.
   */
  alg?: string;
  /** Claims to leave out entirely (e.g. ['oid'], ['tid'], ['exp']). */
  omit?: string[];
  /** Extra claims, merged last (can override anything above). */
  extra?: Record<string, unknown>;
}

export interface FakeEntra {
  /** http://127.0.0.1:PORT — use as EntraValidatorOptions.authorityOverride. */
  authority: string;
  mintToken(claims: MintClaims): Promise<string>;
  /** Adds a new key (new kid) to the JWKS and makes it the signing key. Old keys stay published. */
  rotateKey(): Promise<void>;
  /** Number of JWKS requests served (any tenant, any outcome). Assign 0 to reset. */
  requests: number;
  /** kid of the current signing key. */
  readonly currentKid: string;
  /** When false, the JWKS endpoint answers 503 (simulates an Entra outage). Default true. */
  setAvailable(available: boolean): void;
  close(): Promise<void>;
}

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function newSigningKey(): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  // Shaped like Entra's published keys: kty/use/kid/n/e, no alg.
  const publicJwk: JWK = { kty: 'RSA', use: 'sig', kid, n: jwk.n, e: jwk.e };
  return { kid, privateKey, publicJwk };
}

const b64json = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

export async function startFakeEntra(): Promise<FakeEntra> {
  const keys: SigningKey[] = [await newSigningKey()];
  let signing = keys[0];
  let requests = 0;
  let available = true;
  const otherAlgKeys = new Map<string, CryptoKey | Uint8Array>();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    const m = /^\/([^/]+)\/discovery\/v2\.0\/keys$/.exec(path);
    if (req.method !== 'GET' || !m) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    requests++;
    if (!available) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('unavailable');
      return;
    }
    const body = JSON.stringify({ keys: keys.map((k) => k.publicJwk) });
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(body);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const authority = `http://127.0.0.1:${port}`;

  async function keyForAlg(alg: string): Promise<CryptoKey | Uint8Array> {
    let key = otherAlgKeys.get(alg);
    if (!key) {
      if (alg.startsWith('HS')) key = randomBytes(64);
      else key = (await generateKeyPair(alg)).privateKey;
      otherAlgKeys.set(alg, key);
    }
    return key;
  }

  async function mintToken(c: MintClaims): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const version = c.version ?? 'v2';
    const claims: Record<string, unknown> = {
      aud: c.aud,
      iss: c.issuer ?? (version === 'v1' ? `https://sts.windows.net/${c.tid}/` : `${authority}/${c.tid}/v2.0`),
      iat: now,
      nbf: now + (c.nbfOffsetSec ?? 0),
      exp: now + (c.expiresInSec ?? 3600),
      tid: c.tid,
      oid: c.oid ?? randomUUID(),
      ver: version === 'v1' ? '1.0' : '2.0',
      scp: 'mdm_delegation',
    };
    if (c.upn !== undefined) claims.upn = c.upn;
    if (c.preferred_username !== undefined) claims.preferred_username = c.preferred_username;
    if (c.unique_name !== undefined) claims.unique_name = c.unique_name;
    if (c.deviceid !== undefined) claims.deviceid = c.deviceid;
    for (const name of c.omit ?? []) delete claims[name];
    Object.assign(claims, c.extra ?? {});

    const alg = c.alg ?? 'RS256';
    const kid = c.kid ?? signing.kid;
    if (alg === 'none') {
      return `${b64json({ alg: 'none', typ: 'JWT', kid })}.${b64json(claims)}.`;
    }
    const key = alg === 'RS256' ? signing.privateKey : await keyForAlg(alg);
    return new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT', kid }).sign(key);
  }

  return {
    authority,
    mintToken,
    async rotateKey() {
      const k = await newSigningKey();
      keys.push(k);
      signing = k;
    },
    get requests() {
      return requests;
    },
    set requests(v: number) {
      requests = v;
    },
    get currentKid() {
      return signing.kid;
    },
    setAvailable(v: boolean) {
      available = v;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
