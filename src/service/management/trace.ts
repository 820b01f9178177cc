// Session traces: what the device said and what we answered, without secrets and bounded.
import { escTextLenient } from '../../protocol/xml-write.js';

const JWT_DATA = /(<Data>)\s*eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\s*(<\/Data>)/g;
const CRED = /(<Cred>[\s\S]*?<Data>)[\s\S]*?(<\/Data>)/g;
const NONCE = /(<NextNonce[^>]*>)[^<]*(<\/NextNonce>)/g;
const SECRET_NODE =
  /(<LocURI>[^<]*(?:Password|PASSWORD|Secret|SECRET|Challenge|AUTHSECRET|PreSharedKey|keyMaterial|PFXCertBlob)[^<]*<\/LocURI><\/(?:Target|Source)>(?:<Meta>[\s\S]*?<\/Meta>)?<Data>)[\s\S]*?(<\/Data>)/g;
const KEY_MATERIAL = /(&lt;(?:keyMaterial|L2tpPsk)&gt;)[\s\S]*?(&lt;\/(?:keyMaterial|L2tpPsk)&gt;)/g;
// A signed package URL (service/apps/content-url.ts) downloads the package until it expires: the
// trace keeps the hash and the expiry, not the signature (escaped once or twice, XML in XML).
const CONTENT_SIGNATURE = /(\/content\/[0-9a-f]{64}\?e=\d+&(?:amp;)*s=)[A-Za-z0-9_-]+/g;

const MAYBE_SECRET = /<Cred>|eyJ|NextNonce|Password|PASSWORD|Secret|SECRET|Challenge|PreSharedKey|keyMaterial|PFXCertBlob|L2tpPsk|\/content\//;

export function redactSyncML(xml: string): string {
  // Most messages hold nothing to redact: one scan instead of one per pattern.
  if (!MAYBE_SECRET.test(xml)) return xml;
  return xml
    .replace(CRED, '$1[redacted]$2')
    .replace(JWT_DATA, '$1[redacted token]$2')
    .replace(NONCE, '$1[redacted]$2')
    .replace(SECRET_NODE, '$1[redacted]$2')
    .replace(KEY_MATERIAL, '$1[redacted]$2')
    .replace(CONTENT_SIGNATURE, '$1[redacted]');
}

/**
 * `secrets`: values sent in this message that were sealed in the queue (profile secrets, e.g. a
 * custom node marked secret) — removed wherever they still appear after the patterns above.
 */
export function traceBody(xml: string, maxBytes: number, secrets: string[] = []): { body: string; truncated: boolean } {
  let red = redactSyncML(xml);
  // Looked up as the SyncML writer wrote them (quotes as they are, CR as &#13;); lenient, because a
  // trace must never fail the turn it records.
  for (const v of secrets) if (v.length >= 4) red = red.split(escTextLenient(v)).join('[redacted]');
  if (Buffer.byteLength(red) <= maxBytes) return { body: red, truncated: false };
  return { body: Buffer.from(red).subarray(0, maxBytes).toString('utf8'), truncated: true };
}
