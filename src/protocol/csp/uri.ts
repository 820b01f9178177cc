// LocURI helpers (docs/protocol-notes.md "LocURIs and scope"). Pure functions.
import type { Scope } from './types.js';

/** `./User` or `./Device`: the prefix of the scope's tree. */
export function scopeRoot(scope: Scope): string {
  return scope === 'user' ? './User' : './Device';
}

/** `./{User|Device}/Vendor/MSFT/{csp}`. */
export function cspRoot(scope: Scope, csp: string): string {
  return `${scopeRoot(scope)}/Vendor/MSFT/${csp}`;
}

/**
 * One node name for a LocURI: UTF-8 bytes, every byte outside the RFC 3986 unreserved set
 * (A–Z a–z 0–9 - . _ ~) percent-encoded with uppercase hex. `Contoso VPN` → `Contoso%20VPN`,
 * `{GUID}` → `%7BGUID%7D`.
 */
export function encodeSegment(name: string): string {
  let out = '';
  for (const b of Buffer.from(name, 'utf8')) {
    const c = String.fromCharCode(b);
    out += UNRESERVED.test(c) ? c : '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * Problems with a LocURI given by an admin (custom profiles), or [] when it is acceptable for the
 * scope: relative to `.`, no empty, `.`, `..` or `*` segments, no whitespace, `?` or `#`, a
 * well-formed %-escape wherever `%` appears, and the scope prefix (`./User/…` for user scope;
 * `./Device/…` or `./Vendor/…` for device scope).
 */
export function locUriProblems(uri: string, scope: Scope): string[] {
  const problems: string[] = [];
  if (!uri.startsWith('./')) return ['must start with "./"'];
  // eslint-disable-next-line no-control-regex
  if (/[\s?#<>"\\]/.test(uri) || /[\u0000-\u001f\u007f]/.test(uri))
    problems.push('must not contain whitespace, control characters or any of ? # < > " \\ (URL-encode node names)');
  if (/%(?![0-9A-Fa-f]{2})/.test(uri)) problems.push('has a "%" that does not start a %XX escape');
  const segs = uri.slice(2).split('/');
  if (segs.some((s) => s === '' || s === '.' || s === '..' || s === '*'))
    problems.push('must not have empty, ".", ".." or "*" node names (nor a trailing "/")');
  const first = segs[0];
  if (scope === 'user') {
    if (first !== 'User' || segs.length < 2) problems.push('a user-scope setting must be under ./User/');
  } else if (first !== 'Device' && first !== 'Vendor') {
    problems.push('a device-scope setting must be under ./Device/ or ./Vendor/');
  } else if (first === 'Device' && segs.length < 2) {
    problems.push('must name a node under ./Device/');
  }
  return problems;
}
