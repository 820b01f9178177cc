// Session traces: what the device said and what we answered, without secrets and bounded.
const JWT_DATA = /(<Data>)\s*eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\s*(<\/Data>)/g;
const CRED = /(<Cred>[\s\S]*?<Data>)[\s\S]*?(<\/Data>)/g;
const NONCE = /(<NextNonce[^>]*>)[^<]*(<\/NextNonce>)/g;
const SECRET_NODE =
  /(<LocURI>[^<]*(?:Password|PASSWORD|Secret|SECRET|Challenge|AUTHSECRET|PreSharedKey|keyMaterial)[^<]*<\/LocURI><\/(?:Target|Source)>(?:<Meta>[\s\S]*?<\/Meta>)?<Data>)[\s\S]*?(<\/Data>)/g;
const KEY_MATERIAL = /(&lt;keyMaterial&gt;)[\s\S]*?(&lt;\/keyMaterial&gt;)/g;

const MAYBE_SECRET = /<Cred>|eyJ|NextNonce|Password|PASSWORD|Secret|SECRET|Challenge|PreSharedKey|keyMaterial/;

export function redactSyncML(xml: string): string {
  // Most messages hold nothing to redact: one scan instead of five.
  if (!MAYBE_SECRET.test(xml)) return xml;
  return xml
    .replace(CRED, '$1[redacted]$2')
    .replace(JWT_DATA, '$1[redacted token]$2')
    .replace(NONCE, '$1[redacted]$2')
    .replace(SECRET_NODE, '$1[redacted]$2')
    .replace(KEY_MATERIAL, '$1[redacted]$2');
}

export function traceBody(xml: string, maxBytes: number): { body: string; truncated: boolean } {
  const red = redactSyncML(xml);
  if (Buffer.byteLength(red) <= maxBytes) return { body: red, truncated: false };
  return { body: Buffer.from(red).subarray(0, maxBytes).toString('utf8'), truncated: true };
}
