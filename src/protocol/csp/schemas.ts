// JSON Schemas (draft-07) of the settings of each profile kind. This module is the source of
// truth; schemas/profiles/<kind>.schema.json are the published copies (a test keeps them equal).
// They are plain data so that they ship inside dist/ and need no file reads at runtime, and
// `as const` so that the settings types the compilers take (VpnSettings, …, at the end) are
// derived from them (json-schema-to-ts, types only) instead of being written a second time.
//
// `discriminator` (OpenAPI keyword, understood by Ajv with `discriminator: true`) only narrows
// which `oneOf` branch reports errors; the `const` in each branch carries the same meaning for
// any other draft-07 validator.
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import type { ProfileKind } from './types.js';

type Schema = Record<string, unknown>;

const DRAFT = 'http://json-schema.org/draft-07/schema#';

const REF = {
  type: 'string',
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
  description: 'Stable id of a certificate profile (its `ref`): letters, digits, ".", "_", "-"; at most 64 characters.',
} as const;

const THUMBPRINT = {
  type: 'string',
  pattern: '^([0-9A-Fa-f]{2}[ :]?){19}[0-9A-Fa-f]{2}$',
  description: 'SHA-1 thumbprint: 40 hex digits, optionally in pairs separated by spaces or colons (as certificate viewers show it).',
} as const;

/** DNS name or IPv4 address. */
const HOST = {
  type: 'string',
  minLength: 1,
  maxLength: 253,
  pattern: '^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$',
  description: 'DNS name or IPv4 address.',
} as const;

const PORT = { type: 'integer', minimum: 1, maximum: 65535 } as const;

const SERVER_TRUST = {
  type: 'object',
  additionalProperties: false,
  description:
    'How the device validates the authentication (RADIUS / NPS) server certificate. At least one trusted root is required, given by thumbprint or by a trusted-root certificate profile.',
  properties: {
    rootThumbprints: { type: 'array', items: THUMBPRINT, uniqueItems: true, description: 'Root CAs trusted to issue the server certificate.' },
    rootCertificateRefs: {
      type: 'array',
      items: REF,
      uniqueItems: true,
      description: 'Trusted-root certificate profiles whose certificates are trusted to issue the server certificate (delivered first).',
    },
    serverNames: {
      type: 'array',
      uniqueItems: true,
      items: { type: 'string', minLength: 1, maxLength: 253, pattern: '^[^;\\s]+$' },
      description: 'Names the server certificate must carry (e.g. nps.contoso.com). Empty or absent: any name issued under the trusted roots.',
    },
  },
} as const;

// ---- EAP: the methods VPN authentication and Wi-Fi eap share -------------------------------------

/**
 * An object chosen by its `method` (discriminator for Ajv, `const` in each branch for any other
 * validator): the VPN `authentication` and the Wi-Fi `eap`.
 */
function byMethod<const Branches extends readonly object[]>(description: string, oneOf: Branches) {
  return { type: 'object', description, required: ['method'], discriminator: { propertyName: 'method' }, oneOf } as const;
}

/**
 * The EAP-TLS and PEAP-MSCHAPv2 branches, written once for VPN and Wi-Fi: they differ only in
 * what the certificate is called and in `extra` properties (Wi-Fi's authMode), which follow serverTrust.
 */
function eapBranches<const Extra extends Record<string, object>>(tls: { method: string; certificateRef: string }, extra: Extra) {
  return [
    {
      type: 'object',
      additionalProperties: false,
      required: ['method', 'serverTrust'],
      properties: {
        method: { const: 'eap-tls', description: tls.method },
        certificateRef: { ...REF, description: tls.certificateRef },
        serverTrust: SERVER_TRUST,
        ...extra,
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['method', 'serverTrust'],
      properties: {
        method: { const: 'peap-mschapv2', description: 'PEAP with user name and password (EAP-MSCHAPv2 inside).' },
        serverTrust: SERVER_TRUST,
        ...extra,
        useWindowsLogonCredentials: { type: 'boolean', description: 'Use the Windows sign-in name and password automatically.' },
      },
    },
  ] as const;
}

// ---- vpn -------------------------------------------------------------------------------------

const VPN_SERVER_HOST = {
  type: 'string',
  minLength: 1,
  maxLength: 253,
  pattern: '^[A-Za-z0-9:]([A-Za-z0-9._:-]*[A-Za-z0-9])?$',
  description: 'DNS name, IPv4 or IPv6 address of the VPN gateway.',
} as const;

const vpn = {
  $schema: DRAFT,
  title: 'VPN profile',
  description:
    'A Windows built-in (native) VPN connection, delivered as VPNv2 ProfileXML. User scope: a per-user VPN under ./User; device scope: an IKEv2 device tunnel authenticated with the machine certificate.',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'servers', 'tunnelType', 'routing', 'authentication'],
  properties: {
    name: {
      type: 'string',
      minLength: 1,
      maxLength: 200,
      pattern: '^[^/]+$',
      description: 'Connection name shown to the user; also the VPNv2 node name (URL-encoded). No "/".',
    },
    servers: {
      type: 'array',
      minItems: 1,
      description: 'VPN gateways, in order. Each is a host name / address, or { host, friendlyName }.',
      items: {
        if: { type: 'string' },
        then: VPN_SERVER_HOST,
        else: {
          type: 'object',
          additionalProperties: false,
          required: ['host'],
          properties: {
            host: VPN_SERVER_HOST,
            friendlyName: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[^,;]+$', description: 'Name shown for this gateway.' },
          },
        },
      },
    },
    tunnelType: {
      enum: ['IKEv2', 'SSTP', 'L2TP', 'PPTP', 'Automatic'],
      description: 'NativeProtocolType. Automatic tries the protocols Windows supports in turn.',
    },
    routing: {
      type: 'object',
      additionalProperties: false,
      required: ['mode'],
      description: 'Which traffic goes through the tunnel.',
      properties: {
        mode: { enum: ['split', 'force'], description: 'split: only the routes below (and the class-based default route); force: all traffic.' },
        routes: {
          type: 'array',
          description: 'Routes through the tunnel (split), or around it when `exclude` is true.',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['address', 'prefixSize'],
            properties: {
              address: { type: 'string', minLength: 2, maxLength: 45, pattern: '^[0-9A-Fa-f.:]+$', description: 'Network address (IPv4 or IPv6).' },
              prefixSize: { type: 'integer', minimum: 0, maximum: 128, description: 'Prefix length (e.g. 16 for 10.1.0.0/16).' },
              exclude: { type: 'boolean', description: 'Send this destination over the physical interface instead (ExclusionRoute).' },
              metric: { type: 'integer', minimum: 0, maximum: 4294967295 },
            },
          },
        },
        disableClassBasedDefaultRoute: { type: 'boolean', description: 'Do not add the class-based route of the tunnel address (e.g. 10.0.0.0/8).' },
      },
    },
    authentication: byMethod('How the user (or, for a device tunnel, the machine) authenticates.', [
      ...eapBranches(
        {
          method: 'EAP-TLS with the user certificate.',
          certificateRef: 'The certificate profile (SCEP / PFX, user scope) that provides the user certificate; delivered first.',
        },
        {},
      ),
      {
        type: 'object',
        additionalProperties: false,
        required: ['method', 'eapHostConfig'],
        properties: {
          method: { const: 'eap', description: 'Any EAP method, configured by an EapHostConfig document you supply.' },
          eapHostConfig: {
            type: 'string',
            minLength: 1,
            maxLength: 65536,
            description: 'The <EapHostConfig> XML (e.g. (Get-VpnConnection).EapConfigXmlStream.InnerXml of a template connection).',
          },
        },
      },
      {
        type: 'object',
        additionalProperties: false,
        required: ['method'],
        properties: { method: { const: 'mschapv2', description: 'MS-CHAPv2 user name and password (not with IKEv2).' } },
      },
      {
        type: 'object',
        additionalProperties: false,
        required: ['method'],
        properties: {
          method: { const: 'machine-certificate', description: 'IKEv2 machine certificate (device tunnel).' },
          certificateRef: { ...REF, description: 'The certificate profile (device scope) that provides the machine certificate; delivered first.' },
        },
      },
    ]),
    l2tpPsk: { type: 'string', minLength: 1, maxLength: 256, description: 'L2TP/IPsec pre-shared key (secret; L2TP only).' },
    cryptographySuite: {
      type: 'object',
      additionalProperties: false,
      description: 'IKEv2 IPsec parameters (IKEv2 only). Set all of them or none: Windows ignores a partial suite.',
      // All or none: a partial suite would be accepted here and silently ignored by Windows.
      required: ['authenticationTransformConstants', 'cipherTransformConstants', 'pfsGroup', 'dhGroup', 'integrityCheckMethod', 'encryptionMethod'],
      properties: {
        authenticationTransformConstants: { enum: ['MD596', 'SHA196', 'SHA256128', 'GCMAES128', 'GCMAES192', 'GCMAES256'] },
        cipherTransformConstants: { enum: ['DES', 'DES3', 'AES128', 'AES192', 'AES256', 'GCMAES128', 'GCMAES192', 'GCMAES256'] },
        pfsGroup: { enum: ['None', 'PFS1', 'PFS2', 'PFS2048', 'ECP256', 'ECP384', 'PFSMM', 'PFS24'] },
        dhGroup: { enum: ['None', 'Group1', 'Group2', 'Group14', 'ECP256', 'ECP384', 'Group24'] },
        integrityCheckMethod: { enum: ['MD5', 'SHA196', 'SHA256', 'SHA384'] },
        encryptionMethod: { enum: ['DES', 'DES3', 'AES128', 'AES192', 'AES256', 'AES_GCM_128', 'AES_GCM_256'] },
      },
    },
    dnsSuffixes: {
      type: 'array',
      items: HOST,
      uniqueItems: true,
      description: 'Connection DNS suffixes; the first is the primary one (DnsSuffix).',
    },
    domainNameInformation: {
      type: 'array',
      description: 'Name Resolution Policy Table rules (DomainNameInformation): which DNS servers resolve which names.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['domainName'],
        properties: {
          domainName: {
            type: 'string',
            minLength: 1,
            maxLength: 254,
            pattern: '^\\.?[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$|^\\.$',
            description: 'An FQDN, or a suffix starting with "." (".corp.contoso.com"; "." for every name).',
          },
          dnsServers: { type: 'array', items: { type: 'string', pattern: '^[0-9A-Fa-f.:]+$' }, description: 'DNS server addresses for these names.' },
          webProxyServer: { type: 'string', minLength: 1, maxLength: 253, pattern: '^[^,\\s]+$', description: 'Web proxy for these names.' },
          autoTrigger: { type: 'boolean', description: 'Resolving one of these names connects the VPN.' },
          persistent: { type: 'boolean', description: 'Keep the rule when the VPN is disconnected.' },
        },
      },
    },
    trustedNetworks: {
      type: 'array',
      items: HOST,
      uniqueItems: true,
      description: 'DNS suffixes of networks on which the VPN does not connect automatically (TrustedNetworkDetection).',
    },
    alwaysOn: { type: 'boolean', description: 'Connect automatically at sign-in and stay connected. Device tunnels default to true.' },
    rememberCredentials: { type: 'boolean', description: 'Cache the credentials.' },
    registerDns: { type: 'boolean', description: 'Register the tunnel address in DNS.' },
    bypassForLocal: { type: 'boolean', description: 'Let traffic to the local subnet bypass the tunnel.' },
    disableAdvancedOptionsEditButton: { type: 'boolean', description: 'Make the connection settings read-only for the user.' },
    disableDisconnectButton: { type: 'boolean', description: 'Hide the Disconnect button.' },
    appTriggers: {
      type: 'array',
      uniqueItems: true,
      items: { type: 'string', minLength: 1, maxLength: 1024 },
      description: 'Apps that connect the VPN when started: a package family name or a full path to an .exe.',
    },
    proxy: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      description: 'Proxy used while connected.',
      properties: {
        autoConfigUrl: { type: 'string', minLength: 1, maxLength: 2048, pattern: '^https?://\\S+$', description: 'PAC file URL.' },
        server: { type: 'string', minLength: 1, maxLength: 260, pattern: '^\\S+$', description: 'Proxy server (host:port).' },
      },
    },
    deviceTunnel: { type: 'boolean', description: 'An IKEv2 device tunnel (device scope only; connects before sign-in with the machine certificate).' },
  },
} as const;

// ---- wifi ------------------------------------------------------------------------------------

const WIFI_AUTH_MODE = {
  enum: ['user', 'machine', 'machineOrUser', 'guest'],
  description:
    'Whose credentials 802.1X uses (OneX authMode). Default: user for user-scope profiles, machineOrUser for device-scope ones. machine / machineOrUser need device scope.',
} as const;

const wifi = {
  $schema: DRAFT,
  title: 'Wi-Fi profile',
  description: 'A Wi-Fi network, delivered as a WLAN profile through the WiFi CSP (per user under ./User, for all users under ./Device).',
  type: 'object',
  additionalProperties: false,
  required: ['ssid', 'security'],
  properties: {
    ssid: { type: 'string', minLength: 1, maxLength: 32, description: 'Network name (SSID), at most 32 bytes in UTF-8. Also the profile name.' },
    hidden: { type: 'boolean', description: 'The network does not broadcast its SSID (nonBroadcast). Default false.' },
    autoConnect: { type: 'boolean', description: 'Connect automatically when in range (connectionMode auto). Default true.' },
    security: {
      enum: ['open', 'WPA2PSK', 'WPA3SAE', 'WPA2', 'WPA3ENT', 'WPA3ENT192'],
      description:
        'open: no security; WPA2PSK / WPA3SAE: personal (passphrase); WPA2 / WPA3ENT / WPA3ENT192: enterprise 802.1X (eap). Encryption follows: AES, or GCMP256 for WPA3ENT192.',
    },
    passphrase: {
      type: 'string',
      minLength: 8,
      maxLength: 63,
      pattern: '^[\\x20-\\x7E]{8,63}$',
      description: 'Pre-shared passphrase for WPA2PSK / WPA3SAE: 8–63 printable ASCII characters (secret).',
    },
    eap: byMethod(
      'Enterprise (802.1X) authentication, for WPA2 / WPA3ENT / WPA3ENT192.',
      eapBranches(
        {
          method: 'EAP-TLS with a client certificate.',
          certificateRef: 'The certificate profile (SCEP / PFX) that provides the client certificate; delivered first.',
        },
        { authMode: WIFI_AUTH_MODE },
      ),
    ),
    proxy: { type: 'string', minLength: 3, maxLength: 260, pattern: '^[^\\s:]+:[0-9]{1,5}$', description: 'Proxy for this network, host:port.' },
  },
  allOf: [
    { if: { properties: { security: { enum: ['WPA2PSK', 'WPA3SAE'] } }, required: ['security'] }, then: { required: ['passphrase'] } },
    { if: { properties: { security: { enum: ['WPA2', 'WPA3ENT', 'WPA3ENT192'] } }, required: ['security'] }, then: { required: ['eap'] } },
  ],
} as const;

// ---- email -----------------------------------------------------------------------------------

const MAIL_SERVER = <const Extra extends Record<string, object>>(what: string, extra: Extra) =>
  ({
    type: 'object',
    additionalProperties: false,
    required: ['host', 'port'],
    description: `${what} server.`,
    properties: {
      host: HOST,
      port: PORT,
      ssl: { type: 'boolean', description: 'The server requires SSL/TLS. Default true.' },
      ...extra,
    },
  }) as const;

const email = {
  $schema: DRAFT,
  title: 'Email account (IMAP / POP3)',
  description: 'An IMAP4 or POP3 account in the Windows Mail app, delivered through EMAIL2 (user scope only; Exchange uses ActiveSync instead).',
  type: 'object',
  additionalProperties: false,
  required: ['accountId', 'accountName', 'emailAddress', 'serviceType', 'incoming', 'outgoing', 'userName'],
  properties: {
    accountId: {
      type: 'string',
      minLength: 1,
      maxLength: 128,
      description: 'Stable id of this account. The EMAIL2 account GUID is derived from it (UUID v5), so it must never change; a GUID given here is used as is.',
    },
    accountName: { type: 'string', minLength: 1, maxLength: 32, description: 'Account name shown in Mail (SERVICENAME, at most 32 characters).' },
    displayName: { type: 'string', minLength: 1, maxLength: 255, description: 'Sender name on sent mail (NAME).' },
    emailAddress: {
      type: 'string',
      minLength: 3,
      maxLength: 255,
      pattern: '^[^@\\s]+@[^@\\s]+$',
      description: 'Reply address; sending fails without it (REPLYADDR).',
    },
    serviceType: { enum: ['IMAP4', 'POP3'], description: 'Incoming protocol (SERVICETYPE).' },
    incoming: MAIL_SERVER('Incoming (IMAP4 / POP3)', {}),
    outgoing: MAIL_SERVER('Outgoing (SMTP)', {
      requiresAuthentication: { type: 'boolean', description: 'The SMTP server requires authentication (AUTHREQUIRED). Default true.' },
    }),
    userName: { type: 'string', minLength: 1, maxLength: 255, description: 'Sign-in name (AUTHNAME).' },
    password: { type: 'string', minLength: 1, maxLength: 255, description: 'Password, also used for SMTP (AUTHSECRET, secret). Absent: the user is asked.' },
    domain: { type: 'string', minLength: 1, maxLength: 255, description: 'Credential domain for the incoming server (DOMAIN).' },
    syncIntervalMinutes: {
      type: 'integer',
      minimum: -1,
      maximum: 2147483647,
      description: 'Minutes between send/receive (LINGER, Windows default 15). The DDF documents 0 as manual sync.',
    },
    downloadDays: { enum: [-1, 7, 14, 30, 90], description: 'How many days of mail to download; -1 for all (DWNDAY).' },
  },
} as const;

// ---- certificate -----------------------------------------------------------------------------

const CERT_COMMON = {
  ref: { ...REF, description: 'Stable id other profiles (VPN, Wi-Fi) use to refer to this certificate.' },
} as const;

const UNIQUE_ID = { ...REF, description: 'ClientCertificateInstall node name of this install request. Default: the ref.' } as const;

const BASE64 = { type: 'string', minLength: 4, pattern: '^[A-Za-z0-9+/=\\s]+$' } as const;

const KEY_STORE = ['tpm', 'tpm-or-software', 'software', 'hello'] as const;

const certificate = {
  $schema: DRAFT,
  title: 'Certificate',
  description:
    'A certificate: a trusted root or intermediate CA (RootCATrustedCertificates), a PFX with its private key, or a SCEP enrollment (ClientCertificateInstall).',
  type: 'object',
  required: ['type'],
  discriminator: { propertyName: 'type' },
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['ref', 'type', 'certificateBase64'],
      properties: {
        ...CERT_COMMON,
        type: { const: 'trusted-root', description: 'A root CA, added to the device Root store (device scope only).' },
        certificateBase64: { type: 'string', minLength: 4, maxLength: 65536, description: 'The certificate: base64 DER, or PEM.' },
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['ref', 'type', 'certificateBase64'],
      properties: {
        ...CERT_COMMON,
        type: { const: 'intermediate', description: 'An intermediate CA, added to the CA store (device or user).' },
        certificateBase64: { type: 'string', minLength: 4, maxLength: 65536, description: 'The certificate: base64 DER, or PEM.' },
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['ref', 'type', 'pfxBase64'],
      properties: {
        ...CERT_COMMON,
        type: { const: 'pfx', description: 'A certificate with its private key (PKCS#12).' },
        uniqueId: UNIQUE_ID,
        pfxBase64: { ...BASE64, maxLength: 1048576, description: 'The PFX / PKCS#12 file, base64 (secret).' },
        password: { type: 'string', maxLength: 1024, description: 'PFX password (secret).' },
        keyLocation: {
          enum: KEY_STORE,
          description:
            'Where the private key goes: tpm (fail without one), tpm-or-software (default), software, hello (Windows Hello for Business; needs containerName).',
        },
        containerName: { type: 'string', minLength: 1, maxLength: 256, description: 'Windows Hello for Business container (keyLocation hello).' },
        exportable: { type: 'boolean', description: 'The private key can be exported later. Default false.' },
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['ref', 'type', 'serverUrls', 'challenge', 'subjectName', 'ekus', 'keyUsage', 'keyLength', 'hashAlgorithm', 'caThumbprint'],
      properties: {
        ...CERT_COMMON,
        type: { const: 'scep', description: 'The device requests a certificate from a SCEP server (e.g. NDES).' },
        uniqueId: UNIQUE_ID,
        serverUrls: {
          type: 'array',
          minItems: 1,
          uniqueItems: true,
          items: { type: 'string', maxLength: 2048, pattern: '^https?://[^\\s;]+$' },
          description: 'SCEP server URLs, tried in order.',
        },
        challenge: { type: 'string', minLength: 1, maxLength: 4096, description: 'SCEP challenge password (secret), sent as given.' },
        subjectName: { type: 'string', minLength: 1, maxLength: 1024, description: 'X.500 subject, e.g. CN=alice@contoso.com,OU=Staff.' },
        subjectAlternativeNames: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['type', 'value'],
            properties: {
              type: { enum: ['upn', 'email', 'dns', 'uri'], description: 'upn (11), email (RFC 822, 2), dns (3), uri (7): CertEnroll AlternativeNameType.' },
              value: { type: 'string', minLength: 1, maxLength: 1024, pattern: '^[^;]+$' },
            },
          },
          description: 'Subject alternative names.',
        },
        ekus: {
          type: 'array',
          minItems: 1,
          uniqueItems: true,
          items: { type: 'string', pattern: '^[0-2](\\.(0|[1-9][0-9]*))+$' },
          description: 'Extended key usage OIDs, e.g. 1.3.6.1.5.5.7.3.2 (client authentication).',
        },
        keyUsage: {
          type: 'array',
          minItems: 1,
          uniqueItems: true,
          items: { enum: ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement'] },
          description: 'Key usage bits; must include digitalSignature and/or keyEncipherment.',
        },
        keyLength: { enum: [1024, 2048, 4096], description: 'RSA key size (hello: 2048 only).' },
        hashAlgorithm: {
          type: 'array',
          minItems: 1,
          uniqueItems: true,
          items: { enum: ['SHA-1', 'SHA-2', 'SHA-3'] },
          description: 'Hash algorithm families allowed (hello: SHA-2 only).',
        },
        caThumbprint: { ...THUMBPRINT, description: 'SHA-1 thumbprint of the root CA the SCEP server chains to; the device refuses other servers.' },
        validPeriod: { enum: ['Days', 'Months', 'Years'], description: 'Unit of validPeriodUnits.' },
        validPeriodUnits: { type: 'integer', minimum: 0, maximum: 2147483647, description: 'Requested validity (the SCEP server decides).' },
        keyProtection: {
          enum: KEY_STORE,
          description: 'Where the private key is kept: tpm, tpm-or-software (TPM if present), software (Windows default), hello (needs containerName).',
        },
        containerName: { type: 'string', minLength: 1, maxLength: 256, description: 'Windows Hello for Business container (keyProtection hello).' },
        retryCount: { type: 'integer', minimum: 0, maximum: 30, description: 'Retries while the server answers pending (default 3).' },
        retryDelay: { type: 'integer', minimum: 1, maximum: 4294967295, description: 'Minutes between those retries (default 5).' },
        templateName: { type: 'string', minLength: 1, maxLength: 256, description: 'Certificate template OID / name (usually ignored by the server).' },
        customTextToShowInPrompt: { type: 'string', minLength: 1, maxLength: 256, description: 'Text shown on the Windows Hello PIN prompt (hello only).' },
      },
    },
  ],
} as const;

// ---- hello -----------------------------------------------------------------------------------

const CHAR_RULE = { enum: ['allowed', 'required', 'disallowed'] } as const;

const hello = {
  $schema: DRAFT,
  title: 'Windows Hello for Business',
  description: 'Windows Hello for Business policies for an Entra tenant (PassportForWork CSP; device or user scope).',
  type: 'object',
  additionalProperties: false,
  required: ['tenantId'],
  properties: {
    tenantId: {
      type: 'string',
      pattern: '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$',
      description: 'Entra tenant id (GUID without braces).',
    },
    enabled: { type: 'boolean', description: 'Use Windows Hello for Business (UsePassportForWork). Default true.' },
    requireSecurityDevice: { type: 'boolean', description: 'Require a TPM (RequireSecurityDevice).' },
    enablePinRecovery: { type: 'boolean', description: 'Allow PIN recovery through the cloud service (EnablePinRecovery).' },
    pin: {
      type: 'object',
      additionalProperties: false,
      description: 'PIN complexity (PINComplexity).',
      properties: {
        minimumLength: { type: 'integer', minimum: 4, maximum: 127, description: 'Default 4.' },
        maximumLength: { type: 'integer', minimum: 4, maximum: 127, description: 'Default 127.' },
        uppercaseLetters: { ...CHAR_RULE, description: 'Uppercase letters: allowed (default), required or disallowed.' },
        lowercaseLetters: { ...CHAR_RULE, description: 'Lowercase letters: allowed (default), required or disallowed.' },
        specialCharacters: { ...CHAR_RULE, description: 'Special characters: allowed (default), required or disallowed.' },
        digits: { ...CHAR_RULE, description: 'Digits: allowed (default), required or disallowed.' },
        history: { type: 'integer', minimum: 0, maximum: 50, description: 'Previous PINs that cannot be reused (0: none).' },
        expirationDays: { type: 'integer', minimum: 0, maximum: 730, description: 'Days until the PIN expires (0: never).' },
      },
    },
    useBiometrics: { type: 'boolean', description: 'Allow face / fingerprint (Biometrics/UseBiometrics; device scope only).' },
  },
} as const;

// ---- custom ----------------------------------------------------------------------------------

const LOC_URI = {
  type: 'string',
  minLength: 3,
  maxLength: 1024,
  pattern: '^\\./',
  description: 'LocURI starting with "./" (./User/… for user scope; ./Device/… or ./Vendor/… for device scope); node names URL-encoded.',
} as const;

const custom = {
  $schema: DRAFT,
  title: 'Custom OMA-URI settings',
  description: 'Raw CSP settings for what the typed profiles do not cover.',
  type: 'object',
  additionalProperties: false,
  required: ['nodes'],
  properties: {
    nodes: {
      type: 'array',
      minItems: 1,
      maxItems: 500,
      description: 'The settings, in the order they are sent.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['locUri', 'format', 'value'],
        properties: {
          locUri: LOC_URI,
          format: {
            enum: ['chr', 'int', 'bool', 'b64', 'bin', 'xml', 'float', 'date', 'time', 'node'],
            description: 'Meta/Format of the value (node: an interior node, value "").',
          },
          type: { type: 'string', minLength: 1, maxLength: 256, pattern: '^\\S+$', description: 'Meta/Type, e.g. text/plain.' },
          value: { type: 'string', maxLength: 1048576, description: 'The value as text (int: decimal; bool: true/false; b64: base64).' },
          secret: { type: 'boolean', description: 'The value is a secret: redacted in logs and plans.' },
        },
      },
    },
    atomic: { type: 'boolean', description: 'Send all nodes in one Atomic (all or nothing). Default false: each node on its own.' },
    removal: {
      type: 'array',
      items: LOC_URI,
      uniqueItems: true,
      description: 'LocURIs to Delete when the profile is removed. Default: every node. [] keeps the settings on the device.',
    },
  },
} as const;

// ---- app -------------------------------------------------------------------------------------

const app = {
  $schema: DRAFT,
  title: 'App',
  description:
    "An app of the catalog installed or removed (EnterpriseDesktopAppManagement for MSI, EnterpriseModernAppManagement for MSIX/APPX, the Office CSP for Microsoft 365 Apps); the version sent is the app's live version.",
  type: 'object',
  additionalProperties: false,
  required: ['app', 'intent'],
  properties: {
    app: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', description: "The app's id in the catalog." },
    intent: { enum: ['install', 'uninstall'], description: 'install: required on the targets (unassigning uninstalls it); uninstall: removed from them.' },
  },
} as const;

export const PROFILE_SCHEMAS: Readonly<Record<ProfileKind, Schema>> = { vpn, wifi, email, certificate, hello, custom, app };

// The settings as the schemas admit them, so that types and validation cannot drift apart.
// if/then/else is parsed: a VPN server is a host name or an object, and a Wi-Fi profile with a
// personal security mode has a passphrase.
type SettingsOf<S extends JSONSchema> = FromSchema<S, { parseIfThenElseKeywords: true }>;

export type ServerTrustSettings = SettingsOf<typeof SERVER_TRUST>;
export type VpnSettings = SettingsOf<typeof vpn>;
export type WifiSettings = SettingsOf<typeof wifi>;
export type EmailSettings = SettingsOf<typeof email>;
export type CertificateSettings = SettingsOf<typeof certificate>;
export type HelloSettings = SettingsOf<typeof hello>;
export type CustomSettings = SettingsOf<typeof custom>;
export type AppSettings = SettingsOf<typeof app>;
