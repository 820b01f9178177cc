// Secrets in profile settings come back from the API masked, so an unchanged secret cannot be
// told from a changed one by reading the server. `fenestra apply` keeps, beside the file, a
// fingerprint of each secret it applied: HMAC-SHA256 keyed by the admin token over the profile
// name, the setting's pointer and the value. Nothing in it reveals a secret without the token; a
// new token (or a lost state file) makes every secret count as changed once, and the next apply
// writes them again (same values: a new profile version, nothing else).
import crypto from 'node:crypto';
import fs from 'node:fs';

const MASK = '********';

export interface SecretState {
  /** profile name → pointer → fingerprint */
  profiles: Record<string, Record<string, string>>;
}

export function loadState(file: string): SecretState {
  if (!fs.existsSync(file)) return { profiles: {} };
  try {
    const s = JSON.parse(fs.readFileSync(file, 'utf8')) as SecretState;
    return s && typeof s.profiles === 'object' ? s : { profiles: {} };
  } catch {
    // A damaged state only means "unknown": secrets count as changed and are written again.
    return { profiles: {} };
  }
}

export function saveState(file: string, state: SecretState): void {
  fs.writeFileSync(file, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
}

export const fingerprint = (token: string, profile: string, pointer: string, value: string) =>
  crypto.createHmac('sha256', token).update(`${profile}\0${pointer}\0${value}`).digest('base64url');

const esc = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');

export interface SettingChange {
  pointer: string;
  before?: unknown;
  after?: unknown;
  secret?: boolean;
}

/**
 * Differences between the file's settings and the server's (secrets masked). Where the server
 * shows the mask and the file holds a string, the secret counts as unchanged when its
 * fingerprint matches the state (or the file itself holds the mask). Also returns the
 * fingerprints of the file's secrets, to record once applied.
 */
export function diffSettings(
  file: unknown,
  server: unknown,
  known: Record<string, string> | undefined,
  fp: (pointer: string, value: string) => string,
): { changes: SettingChange[]; secrets: Record<string, string> } {
  const changes: SettingChange[] = [];
  const secrets: Record<string, string> = {};
  const walk = (f: unknown, s: unknown, at: string) => {
    if (s === MASK && typeof f === 'string') {
      if (f === MASK) return;
      const mark = fp(at, f);
      secrets[at] = mark;
      if (known?.[at] !== mark) changes.push({ pointer: at, secret: true });
      return;
    }
    if (Array.isArray(f) && Array.isArray(s)) {
      for (let i = 0; i < Math.max(f.length, s.length); i++) {
        if (i >= f.length) changes.push({ pointer: `${at}/${i}`, before: s[i] });
        else if (i >= s.length) changes.push({ pointer: `${at}/${i}`, after: f[i] });
        else walk(f[i], s[i], `${at}/${i}`);
      }
      return;
    }
    if (f && s && typeof f === 'object' && typeof s === 'object' && !Array.isArray(f) && !Array.isArray(s)) {
      const fo = f as Record<string, unknown>;
      const so = s as Record<string, unknown>;
      for (const k of new Set([...Object.keys(so), ...Object.keys(fo)])) {
        const p = `${at}/${esc(k)}`;
        if (!(k in fo)) changes.push({ pointer: p, before: so[k] });
        else if (!(k in so)) changes.push({ pointer: p, after: fo[k] });
        else walk(fo[k], so[k], p);
      }
      return;
    }
    if (JSON.stringify(f) !== JSON.stringify(s)) changes.push({ pointer: at, before: s, after: f });
  };
  walk(file, server, '');
  return { changes, secrets };
}
