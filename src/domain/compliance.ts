// Compliance policies (issue #14), their assignments, and each device's evaluated state.

/**
 * What a policy requires; a rule left out is not checked. Each rule reads nodes of the device's
 * inventory (service/compliance/rules.ts names them) or, for `maxDaysSinceCheckIn`, its last-seen time.
 */
export interface ComplianceRules {
  /** Lowest OS build accepted, dotted ("10.0.22631" or "10.0.22631.2861"), compared to DevDetail/SwV part by part. */
  minOsBuild?: string;
  /** The OS drive encrypted (DeviceStatus/Compliance/EncryptionCompliance = 1). */
  bitLocker?: boolean;
  /** An antivirus on and monitoring (DeviceStatus/Antivirus/Status = 0). */
  antivirus?: boolean;
  /** Antivirus signatures up to date (DeviceStatus/Antivirus/SignatureStatus = 1). */
  antivirusSignatures?: boolean;
  /** The firewall on and monitoring (DeviceStatus/Firewall/Status = 0). */
  firewall?: boolean;
  /** Secure Boot enabled (DeviceStatus/SecureBootState = 1). */
  secureBoot?: boolean;
  /** A TPM of at least this specification version ("2.0"), from DeviceStatus/TPM/SpecificationVersion. */
  minTpmVersion?: string;
  /**
   * Windows Hello for Business required by policy on the device (PassportForWork/{tenant}/Policies/
   * UsePassportForWork = true). Windows does not expose whether a user enrolled a PIN or a
   * password policy of a cloud account over MDM; the enforced Hello policy is what can be read.
   */
  windowsHello?: boolean;
  /** Last check-in no older than this many days. */
  maxDaysSinceCheckIn?: number;
}

export type ComplianceRuleName = keyof ComplianceRules;

export interface CompliancePolicy {
  id: string;
  name: string;
  rules: ComplianceRules;
  /** Hours a device stays "inGracePeriod" after it first fails a rule. */
  graceHours: number;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/**
 * all: every device ('*'); device: our id or its DeviceID; group: a local group holding the
 * device or its primary user; user: the primary (enrolling) user's oid or UPN; entraGroup: an
 * Entra group (object ID) holding the device (its Entra device ID) or its primary user (oid).
 */
export type ComplianceTargetType = 'all' | 'device' | 'group' | 'user' | 'entraGroup';

export interface ComplianceAssignment {
  policyId: string;
  targetType: ComplianceTargetType;
  targetId: string;
  createdAt: string;
}

export type ComplianceState = 'compliant' | 'noncompliant' | 'inGracePeriod' | 'unknown';

/** One rule not met (outcome fail) or not readable on the device (outcome unknown). */
export interface ComplianceReason {
  policyId: string;
  rule: ComplianceRuleName;
  outcome: 'fail' | 'unknown';
  expected: string;
  /** What the device reported; absent when it did not report the node. */
  actual?: string;
}

export interface DeviceCompliance {
  devicePk: string;
  state: ComplianceState;
  reasons: ComplianceReason[];
  /** The policies evaluated, `id@version`. */
  policies: string[];
  evaluatedAt: string;
  /** When the device first failed a rule (kept while it keeps failing). */
  noncompliantSince?: string;
  /** The compliance generation this state was computed at. */
  gen: number;
  /** The isCompliant value last queued for Entra (undefined: never). */
  reportedCompliant?: boolean;
}

/** A report queued for Entra with a state change (see the outbox). */
export interface ComplianceReportRequest {
  devicePk: string;
  tenantId: string;
  entraDeviceId: string;
  isCompliant: boolean;
  isManaged: boolean;
  createdAt: string;
}
