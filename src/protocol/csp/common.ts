// Shared pieces of the profile compilers: problem collection, certificate references, server
// trust resolution. Pure.
import type { ServerTrust } from './eap.js';
import type { ServerTrustSettings } from './schemas.js';
import { pointerToken } from './validate.js';
import type { CertificateInfo, CompileContext, ProfileError, Scope } from './types.js';
import { isXmlText } from '../xml-write.js';

export class Problems {
  readonly list: ProfileError[] = [];
  add(pointer: string, message: string): void {
    this.list.push({ pointer, message });
  }
  get any(): boolean {
    return this.list.length > 0;
  }
}

/** A thumbprint as the admin typed it (pairs, spaces, colons, any case) → 40 uppercase hex. */
export function normThumbprint(t: string): string {
  return t.replace(/[\s:]/g, '').toUpperCase();
}

/** Every string in the settings must be representable in XML (SyncML Data, embedded documents). */
export function checkXmlChars(value: unknown, pointer: string, p: Problems): void {
  if (typeof value === 'string') {
    if (!isXmlText(value)) p.add(pointer, 'contains a character XML cannot carry (control character or unpaired surrogate)');
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => checkXmlChars(v, `${pointer}/${i}`, p));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) checkXmlChars(v, `${pointer}/${pointerToken(k)}`, p);
  }
}

/**
 * Resolve a reference to a certificate profile. With a context, an unknown ref is a problem, and
 * so is a certificate in the wrong scope when `needScope` is given. Returns the info when known.
 */
export function resolveCertRef(ref: string, pointer: string, ctx: CompileContext, p: Problems, needScope?: Scope, why?: string): CertificateInfo | undefined {
  if (!ctx.certificates) return undefined;
  const info = Object.prototype.hasOwnProperty.call(ctx.certificates, ref) ? ctx.certificates[ref] : undefined;
  if (!info) {
    p.add(pointer, `refers to "${ref}", which is not a known certificate profile`);
    return undefined;
  }
  if (needScope && info.scope !== needScope) {
    p.add(pointer, `certificate profile "${ref}" has ${info.scope} scope, but ${why ?? `a ${needScope}-scope certificate is needed`}`);
  }
  return info;
}

/**
 * Server trust with referenced trusted-root profiles resolved to thumbprints (thumbprints given
 * directly first, then the referenced ones, duplicates dropped). Adds the refs to `requires`.
 */
export function resolveServerTrust(st: ServerTrustSettings, pointer: string, ctx: CompileContext, p: Problems, requires: string[]): ServerTrust {
  const roots: string[] = [];
  const push = (t: string) => {
    if (!roots.includes(t)) roots.push(t);
  };
  for (const t of st.rootThumbprints ?? []) push(normThumbprint(t));
  (st.rootCertificateRefs ?? []).forEach((ref, i) => {
    const at = `${pointer}/rootCertificateRefs/${i}`;
    addRequire(requires, ref);
    if (!ctx.certificates) {
      p.add(at, 'certificate profiles are not available to resolve this reference');
      return;
    }
    const info = resolveCertRef(ref, at, ctx, p);
    if (!info) return;
    if (info.certificateType && info.certificateType !== 'trusted-root') {
      p.add(at, `certificate profile "${ref}" is a ${info.certificateType} certificate, not a trusted root`);
    } else if (!info.thumbprint) {
      p.add(at, `certificate profile "${ref}" has no known thumbprint`);
    } else {
      push(normThumbprint(info.thumbprint));
    }
  });
  if (roots.length === 0) p.add(pointer, 'needs at least one trusted root (rootThumbprints or rootCertificateRefs)');
  return { rootThumbprints: roots, serverNames: st.serverNames ?? [] };
}

export function addRequire(requires: string[], ref: string): void {
  if (!requires.includes(ref)) requires.push(ref);
}
