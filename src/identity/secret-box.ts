// Secrets inside profile settings (Wi-Fi passphrases, PFX passwords, SCEP challenges, mail
// passwords): encrypted at rest with AES-256-GCM under a key derived from FENESTRA_SECRET_KEY,
// and never returned by the API (masked).
import crypto from 'node:crypto';

/** Property names that hold secrets, in any profile kind. */
const SECRET_NAME = /^(password|passphrase|challenge|secret|authSecret|pfxPassword|pfxBase64|preSharedKey|l2tpPsk|keyMaterial)$/i;
export const MASK = '********';

export const isSecretKey = (name: string) => SECRET_NAME.test(name);

/** A property holds a secret: by its name, or a custom node's `value` when the node says `secret: true`. */
const isSecretField = (obj: Record<string, unknown>, name: string) => isSecretKey(name) || (name === 'value' && obj.secret === true);

export function encrypt(plain: string, key: Buffer): string {
  const iv = crypto.randomBytes(12);
  const c = crypto.createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return `v1.${Buffer.concat([iv, c.getAuthTag(), body]).toString('base64url')}`;
}

export function decrypt(sealed: string, key: Buffer): string {
  if (!sealed.startsWith('v1.')) throw new Error('not a sealed secret');
  const raw = Buffer.from(sealed.slice(3), 'base64url');
  const d = crypto.createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  d.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8');
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function mapSecrets(v: Json, fn: (value: string, key: string) => Json, key = ''): Json {
  if (Array.isArray(v)) return v.map((x) => mapSecrets(x, fn, key));
  if (v && typeof v === 'object') {
    const out: { [k: string]: Json } = {};
    for (const [k, x] of Object.entries(v)) out[k] = typeof x === 'string' && isSecretField(v, k) ? fn(x, k) : mapSecrets(x, fn, k);
    return out;
  }
  return v;
}

/** Replace every secret string by its sealed form `{"$sealed": "v1...."}`-free: the sealed string itself. */
export function sealSecrets<T>(settings: T, key: Buffer): T {
  return mapSecrets(settings as Json, (v) => encrypt(v, key)) as T;
}

export function openSecrets<T>(settings: T, key: Buffer): T {
  return mapSecrets(settings as Json, (v) => (v.startsWith('v1.') ? decrypt(v, key) : v)) as T;
}

export function maskSecrets<T>(settings: T): T {
  return mapSecrets(settings as Json, () => MASK) as T;
}

/**
 * For an update: where the admin sent the mask back unchanged, keep the stored (sealed) value.
 * Returns plain settings with stored secrets opened.
 */
export function mergeMasked<T>(next: T, storedPlain: T): T {
  const walk = (n: Json, s: Json | undefined): Json => {
    if (Array.isArray(n)) return n.map((x, i) => walk(x, Array.isArray(s) ? s[i] : undefined));
    if (n && typeof n === 'object') {
      const out: { [k: string]: Json } = {};
      const so = s && typeof s === 'object' && !Array.isArray(s) ? s : {};
      for (const [k, x] of Object.entries(n)) out[k] = x === MASK && isSecretField(n, k) && typeof so[k] === 'string' ? so[k] : walk(x, so[k]);
      return out;
    }
    return n;
  };
  return walk(next as Json, storedPlain as Json) as T;
}
