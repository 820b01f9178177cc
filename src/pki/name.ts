/** X.501 Name building and reading. */
import { type DerNode, TAG, expectChildren, expectTag, readDirectoryString, readOid } from './asn1-read.js';
import { oid, seq, setOf, utf8 } from './asn1-build.js';
import { PkiError } from './errors.js';
import { OID } from './oids.js';

export interface NameSpec {
  commonName: string;
  organization?: string;
}

/** Name with O (if given) then CN, both as UTF8String (UPNs, GUIDs, anything). */
export function buildName(spec: NameSpec): Buffer {
  if (typeof spec.commonName !== 'string' || spec.commonName.length === 0) {
    throw new PkiError('invalid-input', 'commonName must be a non-empty string');
  }
  if (spec.commonName.includes('\0') || (spec.organization ?? '').includes('\0')) {
    throw new PkiError('invalid-input', 'name attributes must not contain NUL');
  }
  const cn = setOf(seq(oid(OID.commonName), utf8(spec.commonName)));
  return spec.organization ? seq(setOf(seq(oid(OID.organizationName), utf8(spec.organization))), cn) : seq(cn);
}

/** First commonName in a Name (undefined when there is none). */
export function readCommonName(name: DerNode, what: string): string | undefined {
  expectTag(name, TAG.SEQUENCE, what);
  for (const rdn of name.children) {
    expectTag(rdn, TAG.SET, what);
    for (const atv of rdn.children) {
      expectTag(atv, TAG.SEQUENCE, what);
      const [type, value] = expectChildren(atv, 2, 2, what);
      if (readOid(type, what) === OID.commonName) return readDirectoryString(value, what);
    }
  }
  return undefined;
}
