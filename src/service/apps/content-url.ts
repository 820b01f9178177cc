// Signed, expiring download URLs for app packages (issue #15, contract 3). Windows downloads a
// package outside the OMA-DM session, without the MDM client certificate: the URL itself is the
// authorization. `${baseUrl}/content/${sha256}?e=<unix seconds>&s=<base64url HMAC-SHA256>`, the
// HMAC over the hash and the expiry with a key derived from the server's secret key (every
// replica of one installation signs and verifies alike). Compiled commands carry
// `{{content:<sha256>}}` tokens instead (contract 4): the URL expires, the compiled profile must
// not; resolveContentTokens puts fresh URLs in when a command is sent.
import crypto from 'node:crypto';
import type { ContentUrls } from '../commands/content-tokens.js';

// The tokens and their replacement live with the command payloads (the engine and reconciler use them).
export { CONTENT_TOKEN, resolveContentTokens } from '../commands/content-tokens.js';

export interface ContentUrlSigner extends ContentUrls {
  /** undefined: the query signs this hash and has not expired; else why not. */
  verify(sha256: string, query: URLSearchParams, now?: number): string | undefined;
}

const SHA256 = /^[0-9a-f]{64}$/;

export function contentUrlSigner(o: { baseUrl: string; key: Buffer; ttlSeconds: number }): ContentUrlSigner {
  const base = o.baseUrl.replace(/\/+$/, '');
  const mac = (sha256: string, e: string) => crypto.createHmac('sha256', o.key).update(`content:${sha256}:${e}`).digest();
  return {
    url(sha256) {
      if (!SHA256.test(sha256)) throw new TypeError(`not a lower-case hex SHA-256: ${sha256.slice(0, 80)}`);
      const e = String(Math.floor(Date.now() / 1000) + o.ttlSeconds);
      return `${base}/content/${sha256}?e=${e}&s=${mac(sha256, e).toString('base64url')}`;
    },
    verify(sha256, query, now = Date.now()) {
      const e = query.get('e');
      const s = query.get('s');
      if (!e || !s) return 'the link is not signed (e and s missing)';
      if (!/^\d{1,12}$/.test(e)) return 'the link has a malformed expiry (e)';
      if (!/^[A-Za-z0-9_-]{43}$/.test(s)) return 'the link has a malformed signature (s)';
      // Checked before the expiry: an expired link says so only when it was a genuine one.
      if (!crypto.timingSafeEqual(Buffer.from(s, 'base64url'), mac(sha256, e))) return 'the link has a bad signature';
      if (Number(e) * 1000 <= now) return 'the link has expired';
      return undefined;
    },
  };
}
