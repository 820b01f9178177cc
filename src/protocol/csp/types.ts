// Typed profiles (VPN, Wi-Fi, mail, certificates, Windows Hello, custom OMA-URI) compiled to the
// CSP node settings Windows reads. The compiler's output is a desired state — node settings
// grouped into units — not commands: the reconciler diffs it against what the device
// acknowledged and turns only the difference into commands (see commands.ts). Pure data.

import type { AppDelivery } from '../../domain/app.js';
import type { CommandPayload } from '../../domain/command.js';

export type ProfileKind = 'vpn' | 'wifi' | 'email' | 'certificate' | 'hello' | 'custom' | 'app';
export type Scope = 'user' | 'device';

export const PROFILE_KINDS: readonly ProfileKind[] = ['vpn', 'wifi', 'email', 'certificate', 'hello', 'custom', 'app'];

export interface CompiledNode {
  /** LocURI of a leaf, node names URL-encoded (e.g. `./User/Vendor/MSFT/VPNv2/Contoso%20VPN/ProfileXML`). */
  uri: string;
  /** Meta/Format (`chr`, `int`, `bool`, `b64`, `xml`, …), always explicit. */
  format: string;
  /** Meta/Type, when the CSP wants one. */
  type?: string;
  /** The value as the device should receive it (XML documents as plain strings: the SyncML writer escapes them). */
  value: string;
  /** The value is a secret (password, PSK, challenge, private key): redact it in logs and in plans shown to admins. */
  secret?: boolean;
  /**
   * A Get of this node returns the value as sent, so the reconciler can verify it by reading it
   * back. False for secrets, write-only nodes and documents Windows re-serialises (ProfileXML, WlanXml).
   */
  readBack?: boolean;
}

export interface CompiledUnit {
  /** Stable id within the profile, e.g. 'vpn:ProfileXML'. */
  id: string;
  nodes: CompiledNode[];
  /** Send the nodes of this unit together in one Atomic (e.g. WiFi WlanXml+Proxy; PFX leaves with the blob last; SCEP Install leaves). */
  atomic: boolean;
  /** Exec after the nodes (SCEP Install/Enroll). */
  exec?: { uri: string; format?: string; value?: string };
  /**
   * Any change re-sends every leaf of the unit (PFX: the blob must be written again for Windows
   * to install; SCEP: a new enrollment reads all Install leaves), not only the changed ones.
   */
  reinstallOnChange?: boolean;
}

/** What a certificate profile offers to the VPN / Wi-Fi profiles that refer to it by `ref`. */
export interface CertificateInfo {
  scope: Scope;
  /** SHA-1 thumbprint (40 uppercase hex) of the certificate itself, when it is known before delivery (trusted-root, intermediate). */
  thumbprint?: string;
  /** SHA-1 thumbprint of the root CA that issues it (SCEP: CAThumbprint; trusted-root: itself) — used to filter client certificates in EAP-TLS. */
  issuerThumbprint?: string;
  /** The certificate profile's type, when known. */
  certificateType?: 'trusted-root' | 'intermediate' | 'pfx' | 'scep';
}

export interface CompiledProfile {
  kind: ProfileKind;
  scope: Scope;
  units: CompiledUnit[];
  /** LocURIs to Delete when the profile is removed (the profile's own roots only, e.g. ./User/Vendor/MSFT/VPNv2/Contoso%20VPN). */
  removal: string[];
  /** Ids (`ref` values) of certificate profiles this one refers to; they must be delivered first. */
  requires: string[];
  /** Certificate profiles only: the `ref` others use and the hints they need (put it into CompileContext.certificates). */
  provides?: { ref: string } & CertificateInfo;
  /** App profiles only (their `units` and `removal` are empty): see CompiledApp. */
  app?: CompiledApp;
}

/** Nodes a device reports an asynchronous install's progress in (Get them until it ends). */
export interface AppTracking {
  kind: 'msi' | 'msix' | 'office';
  status: string;
  lastError?: string;
  lastErrorDesc?: string;
}

/**
 * An app profile compiled: not node values to diff but commands. An install is an Exec the
 * device runs asynchronously (download, hash check, install), followed through `track`; an
 * uninstall, and the removal of an install profile, is a Delete or an Exec (MSIX RemovePackage,
 * Office's <Remove> configuration), which a list of Deletes cannot say. Package URLs are
 * `{{content:<sha256>}}` tokens, resolved when sent (they expire; the compiled profile does not).
 */
export interface CompiledApp {
  kind: 'msi' | 'msix' | 'office';
  intent: 'install' | 'uninstall';
  /** What the commands name (content hash, ProductCode, configuration digest): a change sends them again (an upgrade). */
  package: string;
  /** Commands that bring the device to the intent, in order. */
  apply: CommandPayload[];
  /** Installs: where the device reports progress (Status, LastError, LastErrorDesc). */
  track?: AppTracking;
  /** Commands that take the app away when an install profile is unassigned ([] for uninstall profiles). */
  undo: CommandPayload[];
}

export interface CompileContext {
  /**
   * The certificate profiles visible to this profile, by `ref` (normally the `provides` of their
   * compiled form). When given, every reference must resolve; when absent, references are not
   * checked and certificate hints (issuer filters, referenced root thumbprints) are unavailable.
   */
  certificates?: Record<string, CertificateInfo>;
  /** App profiles: the app's live version (the profile version's context). */
  app?: AppDelivery;
}

export interface ProfileError {
  /** JSON pointer into the settings ("/servers/0/host"); scope problems use "/scope". */
  pointer: string;
  message: string;
}

export class ProfileValidationError extends Error {
  public readonly errors: ProfileError[];
  constructor(errors: ProfileError[]) {
    super(
      errors.length === 1
        ? `invalid profile: ${errors[0].pointer || '/'}: ${errors[0].message}`
        : `invalid profile (${errors.length} problems): ${errors.map((e) => `${e.pointer || '/'}: ${e.message}`).join('; ')}`,
    );
    this.errors = errors;
    this.name = 'ProfileValidationError';
  }
}
