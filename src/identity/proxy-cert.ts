// Client certificates forwarded by a TLS-terminating reverse proxy (docs/protocol-notes.md
// "HTTP and client authentication").
//
// Behind a proxy that terminates TLS the device's client certificate never reaches us; the proxy
// verifies it and forwards it in a request header. Such a header is a claim anyone can send, so
// it is honoured ONLY when the TCP peer is one of the configured proxies (`isTrustedProxy`), and
// the proxy must overwrite, never append to, whatever header the client sent itself (nginx
// `proxy_set_header`, Envoy `forward_client_cert_details: SANITIZE_SET`, Traefik and ARR replace
// it by default). The certificate is then verified like a native TLS peer certificate
// (device-credential.ts): the header only tells us which certificate was presented.
//
// Everything here is pure (no I/O, no logging) and never throws on request input: extraction
// returns the leaf certificate's DER, `undefined` when the header is absent, or an Error whose
// message names the header and the problem but never echoes the value.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';

export type ProxyCertFormat = 'nginx' | 'envoy' | 'traefik' | 'azure';

export const PROXY_CERT_FORMATS: readonly ProxyCertFormat[] = ['nginx', 'envoy', 'traefik', 'azure'];

/** The (lower-cased, as Node delivers them) header each format carries the certificate in. */
export const PROXY_CERT_HEADERS: Readonly<Record<ProxyCertFormat, string>> = {
  nginx: 'ssl-client-cert',
  envoy: 'x-forwarded-client-cert',
  traefik: 'x-forwarded-tls-client-cert',
  azure: 'x-arr-clientcert',
};

/** Header values longer than this (in characters) are rejected as malformed. */
export const MAX_FORWARDED_CERT_HEADER_CHARS = 16 * 1024;

export function isProxyCertFormat(s: unknown): s is ProxyCertFormat {
  return typeof s === 'string' && (PROXY_CERT_FORMATS as readonly string[]).includes(s);
}

// ---------------------------------------------------------------------------------------------
// Trusted proxy addresses

interface Rule {
  /** 16 bytes; IPv4 is held as IPv4-mapped IPv6 (::ffff:a.b.c.d). */
  bytes: Uint8Array;
  prefix: number;
}

/** Tests a remote address (as in `req.socket.remoteAddress`) against compiled rules. */
export type TrustedProxyMatcher = (remoteAddress: string | undefined) => boolean;

const V4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** 16 bytes for an IPv4 (mapped) or IPv6 literal without zone; undefined otherwise. */
function addressBytes(s: string): Uint8Array | undefined {
  const kind = isIP(s);
  if (kind === 4) {
    return Uint8Array.from([...V4_MAPPED_PREFIX, ...s.split('.').map(Number)]);
  }
  if (kind !== 6 || s.includes('%')) return undefined;
  let text = s;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    // embedded dotted quad (::ffff:10.0.0.1): two 16-bit groups
    tail = last.split('.').map(Number);
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const groups = (part: string): number[] => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)));
  let all: number[];
  const dbl = text.indexOf('::');
  if (dbl >= 0) {
    const head = groups(text.slice(0, dbl));
    const rest = groups(text.slice(dbl + 2));
    all = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  } else {
    all = groups(text);
  }
  if (all.length !== 8) return undefined;
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  if (tail.length === 4) out.set(tail, 12);
  return out;
}

/** One trusted-proxy entry: `addr` or `addr/prefix`. Error naming the entry when invalid. */
function parseRule(entry: string): Rule | Error {
  const slash = entry.indexOf('/');
  const addr = slash >= 0 ? entry.slice(0, slash) : entry;
  const bytes = addressBytes(addr);
  if (!bytes) return new Error(`trusted proxy "${entry}": not an IPv4/IPv6 address or CIDR`);
  const isV4 = isIP(addr) === 4;
  const max = isV4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = entry.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) {
      return new Error(`trusted proxy "${entry}": prefix length must be 0-${max}`);
    }
    prefix = Number(p);
  }
  if (isV4) prefix += 96;
  // Host bits set (10.1.2.3/8) are cleared, as most tools do.
  for (let bit = prefix; bit < 128; bit++) bytes[bit >> 3] &= ~(0x80 >> (bit & 7));
  return { bytes, prefix };
}

function matches(rule: Rule, addr: Uint8Array): boolean {
  const whole = rule.prefix >> 3;
  for (let i = 0; i < whole; i++) if (rule.bytes[i] !== addr[i]) return false;
  const rest = rule.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff00 >> rest) & 0xff;
  return (addr[whole] & mask) === rule.bytes[whole];
}

/**
 * Parses FENESTRA_TRUSTED_PROXIES: comma-separated addresses / CIDRs (whitespace around entries
 * and empty entries are ignored, so '' means "no trusted proxy"). Returns the trimmed entries,
 * or an Error naming the first bad one.
 */
export function parseTrustedProxies(spec: string): string[] | Error {
  if (typeof spec !== 'string') return new Error('trusted proxies: expected a comma-separated string');
  const out: string[] = [];
  for (const raw of spec.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const rule = parseRule(entry);
    if (rule instanceof Error) return rule;
    out.push(entry);
  }
  return out;
}

/**
 * Compiles a list of trusted proxies (as returned by `parseTrustedProxies`) into a matcher.
 * Throws a TypeError naming the entry if one is invalid (configuration error, not request input).
 * The matcher understands IPv4-mapped IPv6 peers (::ffff:10.1.2.3 matches 10.0.0.0/8) and
 * ignores an IPv6 zone id (fe80::1%eth0); it returns false for anything it cannot parse.
 */
export function compileTrustedProxies(proxies: readonly string[]): TrustedProxyMatcher {
  const rules: Rule[] = [];
  for (const entry of proxies) {
    const rule = parseRule(String(entry).trim());
    if (rule instanceof Error) throw new TypeError(rule.message);
    rules.push(rule);
  }
  return (remoteAddress) => {
    if (rules.length === 0 || typeof remoteAddress !== 'string') return false;
    const pct = remoteAddress.indexOf('%');
    const addr = addressBytes(pct >= 0 ? remoteAddress.slice(0, pct) : remoteAddress);
    if (!addr) return false;
    return rules.some((r) => matches(r, addr));
  };
}

const compiled = new WeakMap<readonly string[], { key: string; matcher: TrustedProxyMatcher }>();

/**
 * True iff `remoteAddress` is one of `proxies`. The compiled form is cached per array (and
 * recompiled if the array's contents change); use `compileTrustedProxies` to hold it yourself.
 * Throws a TypeError for an invalid entry (validate configuration with `parseTrustedProxies`).
 */
export function isTrustedProxy(remoteAddress: string | undefined, proxies: readonly string[]): boolean {
  const key = proxies.join(',');
  let hit = compiled.get(proxies);
  if (!hit || hit.key !== key) {
    hit = { key, matcher: compileTrustedProxies(proxies) };
    compiled.set(proxies, hit);
  }
  return hit.matcher(remoteAddress);
}

// ---------------------------------------------------------------------------------------------
// Header decoding

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;
const PEM_CERT = /^-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----$/;

/** True iff `der` is exactly one DER SEQUENCE (definite length, no trailing bytes). */
function isDerSequence(der: Buffer): boolean {
  if (der.length < 2 || der[0] !== 0x30) return false;
  const first = der[1];
  if (first < 0x80) return 2 + first === der.length;
  const n = first & 0x7f;
  if (n === 0 || n > 3 || der.length < 2 + n) return false;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + der[2 + i];
  if (len < 0x80 || (n > 1 && der[2] === 0)) return false; // not minimal: not DER
  return 2 + n + len === der.length;
}

function base64ToDer(b64: string, where: string): Buffer | Error {
  const body = b64.replace(/\s+/g, '');
  if (body.length === 0 || body.length % 4 !== 0 || !B64.test(body)) {
    return new Error(`${where}: certificate is not valid base64`);
  }
  const der = Buffer.from(body, 'base64');
  if (!isDerSequence(der)) return new Error(`${where}: not a DER certificate`);
  return der;
}

/** One certificate as a PEM block ("-----BEGIN CERTIFICATE-----" …) or as bare base64 DER. */
function certFromText(text: string, where: string): Buffer | Error {
  const s = text.trim();
  if (s.startsWith('-----')) {
    const m = PEM_CERT.exec(s);
    if (!m || m[1].includes('-----')) return new Error(`${where}: expected exactly one PEM CERTIFICATE block`);
    return base64ToDer(m[1], where);
  }
  return base64ToDer(s, where);
}

/** Percent-decoding without the form convention ('+' stays '+': it is a base64 character). */
function urlDecode(s: string, where: string): string | Error {
  try {
    return decodeURIComponent(s);
  } catch {
    return new Error(`${where}: invalid percent-encoding`);
  }
}

type Headers = Record<string, string | string[] | undefined>;

/** The header's value, `undefined` if absent or blank, or an Error (too large, repeated). */
function headerValue(headers: Headers, name: string, joinRepeated: boolean): string | undefined | Error {
  const raw = headers[name];
  if (raw === undefined) return undefined;
  let value: string;
  if (Array.isArray(raw)) {
    if (raw.length === 0) return undefined;
    if (raw.length > 1 && !joinRepeated) return new Error(`${name}: header repeated`);
    if (raw.some((v) => typeof v !== 'string')) return new Error(`${name}: not a string`);
    if (raw.reduce((n, v) => n + v.length, 0) > MAX_FORWARDED_CERT_HEADER_CHARS) {
      return new Error(`${name}: header larger than ${MAX_FORWARDED_CERT_HEADER_CHARS} characters`);
    }
    value = raw.join(',');
  } else if (typeof raw === 'string') {
    value = raw;
  } else {
    return new Error(`${name}: not a string`);
  }
  if (value.length > MAX_FORWARDED_CERT_HEADER_CHARS) {
    return new Error(`${name}: header larger than ${MAX_FORWARDED_CERT_HEADER_CHARS} characters`);
  }
  return value.trim() === '' ? undefined : value;
}

/**
 * nginx: `proxy_set_header ssl-client-cert $ssl_client_escaped_cert;` (URL-encoded PEM), or the
 * deprecated `$ssl_client_cert` (raw PEM whose continuation lines start with a tab; any
 * whitespace between base64 lines is accepted).
 */
function fromNginx(value: string, where: string): Buffer | Error {
  const pem = value.includes('%') ? urlDecode(value, where) : value;
  if (pem instanceof Error) return pem;
  if (!pem.trim().startsWith('-----BEGIN CERTIFICATE-----')) return new Error(`${where}: expected a PEM certificate`);
  return certFromText(pem, where);
}

/**
 * Envoy XFCC: elements separated by ',' (one per proxy hop, the first one describing the client
 * connection), each a ';'-separated list of Key=Value pairs; values containing ',', ';', '=' or
 * '"' are double-quoted with '\"' escapes. Returns the elements as lists of [lower-cased key,
 * unquoted value], or an Error.
 */
export function parseXfcc(value: string): Array<Array<[string, string]>> | Error {
  const elements: Array<Array<[string, string]>> = [];
  let pairs: Array<[string, string]> = [];
  let i = 0;
  const n = value.length;
  const skipSpace = () => {
    while (i < n && (value[i] === ' ' || value[i] === '\t')) i++;
  };
  for (;;) {
    skipSpace();
    const keyStart = i;
    while (i < n && /[A-Za-z0-9_-]/.test(value[i])) i++;
    const key = value.slice(keyStart, i).toLowerCase();
    skipSpace();
    if (key === '' || value[i] !== '=') return new Error('XFCC: expected Key=Value');
    i++; // '='
    skipSpace();
    let val = '';
    if (value[i] === '"') {
      i++;
      let closed = false;
      while (i < n) {
        const c = value[i++];
        if (c === '\\') {
          if (i >= n) break;
          val += value[i++];
        } else if (c === '"') {
          closed = true;
          break;
        } else {
          val += c;
        }
      }
      if (!closed) return new Error('XFCC: unterminated quoted value');
      skipSpace();
    } else {
      const start = i;
      while (i < n && value[i] !== ';' && value[i] !== ',') {
        if (value[i] === '"') return new Error('XFCC: stray quote in unquoted value');
        i++;
      }
      val = value.slice(start, i).trim();
    }
    pairs.push([key, val]);
    if (i >= n) {
      elements.push(pairs);
      return elements;
    }
    const sep = value[i++];
    if (sep === ',') {
      elements.push(pairs);
      pairs = [];
    } else if (sep !== ';') {
      return new Error('XFCC: expected ";" or "," after a value');
    }
  }
}

function fromEnvoy(value: string, where: string): Buffer | Error {
  const elements = parseXfcc(value);
  if (elements instanceof Error) return new Error(`${where}: ${elements.message}`);
  const client = elements[0];
  const certs = client.filter(([k]) => k === 'cert');
  if (certs.length === 0) {
    return new Error(`${where}: first element has no Cert (enable set_current_client_cert_details.cert)`);
  }
  if (certs.length > 1) return new Error(`${where}: first element has several Cert values`);
  const pem = urlDecode(certs[0][1], where);
  if (pem instanceof Error) return pem;
  const der = certFromText(pem, where);
  if (der instanceof Error) return der;
  // Hash = hex SHA-256 of the client certificate's DER: when present it must agree.
  const hashes = client.filter(([k]) => k === 'hash');
  if (hashes.length > 1) return new Error(`${where}: first element has several Hash values`);
  if (hashes.length === 1) {
    const expected = createHash('sha256').update(der).digest('hex');
    if (hashes[0][1].toLowerCase() !== expected) return new Error(`${where}: Hash does not match Cert`);
  }
  return der;
}

/**
 * Traefik passTLSClientCert (pem: true): base64 DER without PEM armour or newlines, the leaf
 * first and any chain certificates after it, separated by ','. Traefik v2 URL-escapes the value,
 * v3 does not; both are accepted.
 */
function fromTraefik(value: string, where: string): Buffer | Error {
  const text = value.includes('%') ? urlDecode(value, where) : value;
  if (text instanceof Error) return text;
  const [leaf] = text.split(',');
  if (leaf.trim() === '') return new Error(`${where}: empty leaf certificate`);
  return certFromText(leaf, where);
}

/** Azure App Service / IIS ARR: `X-ARR-ClientCert` = base64 DER of the client certificate. */
function fromAzure(value: string, where: string): Buffer | Error {
  return certFromText(value, where);
}

/**
 * The client's leaf certificate (DER) from the header `format` uses, `undefined` when that
 * header is absent or empty, or an Error when it is malformed (too large, repeated, bad
 * encoding, not one DER certificate, Envoy Hash mismatch, unknown format). Never throws.
 * Call it only for requests from a trusted proxy (`isTrustedProxy`).
 */
export function extractForwardedCert(headers: Headers, format: ProxyCertFormat): Buffer | undefined | Error {
  if (!isProxyCertFormat(format)) return new Error(`unknown proxy certificate format: ${String(format).slice(0, 32)}`);
  if (headers === null || typeof headers !== 'object') return undefined;
  const name = PROXY_CERT_HEADERS[format];
  try {
    // Node joins repeated unknown headers with ', '; for XFCC that is still a valid element list.
    const value = headerValue(headers, name, format === 'envoy');
    if (value === undefined || value instanceof Error) return value;
    switch (format) {
      case 'nginx':
        return fromNginx(value, name);
      case 'envoy':
        return fromEnvoy(value, name);
      case 'traefik':
        return fromTraefik(value, name);
      case 'azure':
        return fromAzure(value, name);
    }
  } catch (e) {
    // Defensive: nothing above is expected to throw.
    return new Error(`${name}: ${(e as Error)?.message ?? 'malformed'}`);
  }
}
