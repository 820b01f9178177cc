// Push settings set through the admin API: checked as the FENESTRA_WNS_PFN… variables are (a 400 naming the
// field), kept as JSON in the settings table with the client secret sealed under a key derived
// from the server secret, and opened again into the PushSettings a PushService runs with.
import crypto from 'node:crypto';
import { decrypt, encrypt } from '../../identity/secret-box.js';
import { ApiError } from '../errors.js';
import type { PushSettings } from './service.js';

/** WNS's token endpoint, unless the operator names another (a local fake in tests). */
export const WNS_TOKEN_URL = 'https://login.live.com/accesstoken.srf';
export const DEFAULT_CHANNEL_HOSTS = ['.notify.windows.com'];
/** A package family name: <name>_<13-character publisher id>. */
export const PFN_PATTERN = /^[A-Za-z0-9.-]{3,50}_[a-z0-9]{13}$/;
/** The package SID (ms-app://s-1-15-2-…): no spaces. */
export const CLIENT_ID_PATTERN = /^\S{1,256}$/;
/** A host name (exact) or a suffix starting with '.'. */
export const CHANNEL_HOST_PATTERN = /^\.?[a-z0-9.:[\]-]+$/;
const MAX_SECRET = 1024;
const MAX_HOSTS = 20;

/** What an admin sends (PUT /api/v1/settings/push); the secret may be left out to keep the stored one. */
export interface PushSettingsInput {
  pfn: string;
  clientId: string;
  clientSecret?: string;
  tokenUrl?: string;
  channelHosts?: string[];
}

/** The stored form (settings key 'push'). */
export interface StoredPushSettings {
  pfn: string;
  clientId: string;
  sealedSecret: string;
  secretFingerprint: string;
  tokenUrl: string;
  channelHosts: string[];
}

/** Identifies a secret without revealing it: the first 16 hex digits of its SHA-256 (`printf %s "$SECRET" | sha256sum`). */
export const secretFingerprint = (secret: string) => `sha256:${crypto.createHash('sha256').update(secret, 'utf8').digest('hex').slice(0, 16)}`;

const invalid = (pointer: string, message: string) => new ApiError(400, 'invalid', message, pointer);

/** The settings as they will be stored, or a 400 naming the field. `stored`: the current ones (their secret is kept when none is given). */
export function checkPushSettings(input: PushSettingsInput, opts: { production: boolean; sealKey: Buffer; stored?: StoredPushSettings }): StoredPushSettings {
  const pfn = String(input.pfn ?? '').trim();
  if (!PFN_PATTERN.test(pfn)) throw invalid('/pfn', 'must be a package family name, <name>_<13-character publisher id>');
  const clientId = String(input.clientId ?? '').trim();
  if (!CLIENT_ID_PATTERN.test(clientId)) throw invalid('/clientId', 'must be the package SID (ms-app://s-1-15-2-...), without spaces');
  let sealedSecret: string;
  let fingerprint: string;
  if (input.clientSecret === undefined) {
    if (!opts.stored) throw invalid('/clientSecret', 'is required: no client secret is stored yet');
    sealedSecret = opts.stored.sealedSecret;
    fingerprint = opts.stored.secretFingerprint;
  } else {
    const secret = input.clientSecret;
    // The value is never echoed: only what is wrong with it.
    // eslint-disable-next-line no-control-regex
    if (typeof secret !== 'string' || secret.length === 0 || secret.length > MAX_SECRET || /[\u0000-\u001f\u007f]/.test(secret)) {
      throw invalid('/clientSecret', `must be 1-${MAX_SECRET} characters without control characters`);
    }
    sealedSecret = encrypt(secret, opts.sealKey);
    fingerprint = secretFingerprint(secret);
  }
  return {
    pfn,
    clientId,
    sealedSecret,
    secretFingerprint: fingerprint,
    tokenUrl: checkTokenUrl(input.tokenUrl, opts.production),
    channelHosts: checkHosts(input.channelHosts),
  };
}

function checkTokenUrl(raw: string | undefined, production: boolean): string {
  if (raw === undefined) return WNS_TOKEN_URL;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw invalid('/tokenUrl', 'must be an https:// URL');
  }
  if (u.username || u.password) throw invalid('/tokenUrl', 'must not carry credentials');
  // The client secret travels to it: plain http only outside production, for a local fake.
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && !production)) throw invalid('/tokenUrl', 'must be an https:// URL');
  return u.toString();
}

function checkHosts(raw: string[] | undefined): string[] {
  if (raw === undefined) return [...DEFAULT_CHANNEL_HOSTS];
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_HOSTS) {
    throw invalid('/channelHosts', `must list 1-${MAX_HOSTS} host names or .suffixes, e.g. ".notify.windows.com"`);
  }
  return raw.map((h, i) => {
    const host = String(h).trim().toLowerCase();
    if (!CHANNEL_HOST_PATTERN.test(host) || host === '.' || host.length > 253) {
      throw invalid(`/channelHosts/${i}`, 'must be a host name or a .suffix, e.g. ".notify.windows.com"');
    }
    return host;
  });
}

export function parseStored(value: string): StoredPushSettings {
  const v = JSON.parse(value) as Partial<StoredPushSettings>;
  if (typeof v.pfn !== 'string' || typeof v.clientId !== 'string' || typeof v.sealedSecret !== 'string' || typeof v.tokenUrl !== 'string') {
    throw new Error('stored push settings are incomplete');
  }
  return {
    pfn: v.pfn,
    clientId: v.clientId,
    sealedSecret: v.sealedSecret,
    secretFingerprint: String(v.secretFingerprint ?? ''),
    tokenUrl: v.tokenUrl,
    channelHosts: Array.isArray(v.channelHosts) ? v.channelHosts.map(String) : [...DEFAULT_CHANNEL_HOSTS],
  };
}

/** What a PushService runs with (throws when the secret cannot be opened, e.g. another server secret). */
export function openStored(s: StoredPushSettings, sealKey: Buffer, providerId: string): PushSettings {
  return { pfn: s.pfn, clientId: s.clientId, clientSecret: decrypt(s.sealedSecret, sealKey), tokenUrl: s.tokenUrl, channelHosts: s.channelHosts, providerId };
}
