// EapHostConfig documents for the two methods we generate — EAP-TLS (certificate) and
// PEAP-MSCHAPv2 (password) — shared by VPNv2 ProfileXML and the WLAN profile. Element order and
// namespaces follow the EAPHost schemas (MS-GPWL §6.8/§6.9: BaseEapConnectionPropertiesV1,
// EapTlsConnectionPropertiesV1–V3, MsPeapConnectionPropertiesV1–V2, MsChapV2ConnectionPropertiesV1)
// and Microsoft's published PEAP Wi-Fi sample. Pure functions.
import { XmlError, parseXml } from '../xml.js';
import { el, tx } from '../xml-write.js';

export const EAP_NS = {
  host: 'http://www.microsoft.com/provisioning/EapHostConfig',
  common: 'http://www.microsoft.com/provisioning/EapCommon',
  base: 'http://www.microsoft.com/provisioning/BaseEapConnectionPropertiesV1',
  tlsV1: 'http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV1',
  tlsV2: 'http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV2',
  tlsV3: 'http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV3',
  peapV1: 'http://www.microsoft.com/provisioning/MsPeapConnectionPropertiesV1',
  peapV2: 'http://www.microsoft.com/provisioning/MsPeapConnectionPropertiesV2',
  mschapV2: 'http://www.microsoft.com/provisioning/MsChapV2ConnectionPropertiesV1',
} as const;

/** EAP method type numbers (IANA): 13 EAP-TLS, 25 PEAP, 26 EAP-MSCHAPv2. */
export const EAP_TYPE = { TLS: 13, PEAP: 25, MSCHAPV2: 26 } as const;

export interface ServerTrust {
  /** SHA-1 thumbprints (40 hex) of the root CAs trusted to issue the RADIUS / VPN server certificate. */
  rootThumbprints: string[];
  /** Server names the certificate must carry (Windows matches them as `;`-separated, regex-capable names). */
  serverNames: string[];
}

/**
 * A SHA-1 thumbprint the way Windows itself writes hexBinary hashes in exported EAP profiles:
 * lowercase byte pairs, each followed by a space (`5a 89 fe … 4b `).
 */
export function spacedHex(thumbprint: string): string {
  return (thumbprint.toLowerCase().match(/[0-9a-f]{2}/g) ?? []).map((b) => b + ' ').join('');
}

function eapMethod(type: number): string {
  const c = { xmlns: EAP_NS.common };
  return el('EapMethod', null, tx('Type', type, c), tx('VendorId', 0, c), tx('VendorType', 0, c), tx('AuthorId', 0, c));
}

function serverValidation(trust: ServerTrust): string {
  return el(
    'ServerValidation',
    null,
    tx('DisableUserPromptForServerValidation', trust.rootThumbprints.length > 0),
    tx('ServerNames', trust.serverNames.join(';')),
    ...trust.rootThumbprints.map((t) => tx('TrustedRootCA', spacedHex(t))),
  );
}

function hostConfig(type: number, eapType: string): string {
  return el(
    'EapHostConfig',
    { xmlns: EAP_NS.host },
    eapMethod(type),
    el('Config', { xmlns: EAP_NS.host }, el('Eap', { xmlns: EAP_NS.base }, tx('Type', type), eapType)),
  );
}

/**
 * EAP-TLS with a certificate from the certificate store (chosen without prompting), the server
 * validated against `trust`, and — when the issuing root is known — client certificates filtered
 * to those issued under `issuerThumbprints` (so the right SCEP/PFX certificate is picked).
 */
export function eapTlsConfig(trust: ServerTrust, issuerThumbprints: string[] = []): string {
  const v2 = { xmlns: EAP_NS.tlsV2 };
  const filter =
    issuerThumbprints.length > 0 &&
    el(
      'TLSExtensions',
      v2,
      el('FilteringInfo', { xmlns: EAP_NS.tlsV3 }, el('CAHashList', { Enabled: 'true' }, ...issuerThumbprints.map((t) => tx('IssuerHash', spacedHex(t))))),
    );
  return hostConfig(
    EAP_TYPE.TLS,
    el(
      'EapType',
      { xmlns: EAP_NS.tlsV1 },
      el('CredentialsSource', null, el('CertificateStore', null, tx('SimpleCertSelection', true))),
      serverValidation(trust),
      tx('DifferentUsername', false),
      tx('PerformServerValidation', true, v2),
      tx('AcceptServerName', trust.serverNames.length > 0, v2),
      filter,
    ),
  );
}

/** PEAP with inner EAP-MSCHAPv2 (user name + password), element order as in Microsoft's PEAP Wi-Fi sample. */
export function peapMschapv2Config(trust: ServerTrust, useWinLogonCredentials = false): string {
  const v2 = { xmlns: EAP_NS.peapV2 };
  return hostConfig(
    EAP_TYPE.PEAP,
    el(
      'EapType',
      { xmlns: EAP_NS.peapV1 },
      serverValidation(trust),
      tx('FastReconnect', true),
      tx('InnerEapOptional', false),
      el(
        'Eap',
        { xmlns: EAP_NS.base },
        tx('Type', EAP_TYPE.MSCHAPV2),
        el('EapType', { xmlns: EAP_NS.mschapV2 }, tx('UseWinLogonCredentials', useWinLogonCredentials)),
      ),
      tx('EnableQuarantineChecks', false),
      tx('RequireCryptoBinding', false),
      el('PeapExtensions', null, tx('PerformServerValidation', true, v2), tx('AcceptServerName', trust.serverNames.length > 0, v2)),
    ),
  );
}

/**
 * An admin-supplied EapHostConfig document, ready to embed as markup: BOM, XML declaration and
 * surrounding whitespace removed. Returns an error message instead when it is not one
 * well-formed `EapHostConfig` element in the EapHostConfig namespace (DOCTYPEs are refused).
 */
export function normalizeEapHostConfig(xml: string): { xml: string } | { error: string } {
  let s = xml.replace(/^\uFEFF/, '').trim();
  s = s.replace(/^<\?xml[^?]*\?>/, '').trim();
  let root;
  try {
    root = parseXml(s, { maxDepth: 64, maxBytes: 256 * 1024 });
  } catch (err) {
    return { error: err instanceof XmlError ? err.message : String(err) };
  }
  const top = Object.keys(root).filter((k) => !k.startsWith('#'));
  const cfg = root.EapHostConfig;
  if (top.length !== 1 || !Array.isArray(cfg) || cfg[0]['#ns'] !== EAP_NS.host) {
    return { error: `must be one EapHostConfig element in the ${EAP_NS.host} namespace` };
  }
  if (s.startsWith('<?')) return { error: 'processing instructions before the EapHostConfig element are not accepted' };
  return { xml: s };
}
