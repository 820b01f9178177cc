// The nodes compliance rules read from Windows. They are part of the inventory Get of every
// device (a fixed set, service/management/commands.ts): a device answers them in the same round
// trip whatever its policies, and a node it lacks (404) is left out of its inventory, which the
// evaluation reads as "unknown", never as "noncompliant".

export const COMPLIANCE_NODES = {
  osBuild: './DevDetail/SwV',
  encryption: './Vendor/MSFT/DeviceStatus/Compliance/EncryptionCompliance',
  antivirus: './Vendor/MSFT/DeviceStatus/Antivirus/Status',
  antivirusSignatures: './Vendor/MSFT/DeviceStatus/Antivirus/SignatureStatus',
  firewall: './Vendor/MSFT/DeviceStatus/Firewall/Status',
  secureBoot: './Vendor/MSFT/DeviceStatus/SecureBootState',
  tpm: './Vendor/MSFT/DeviceStatus/TPM/SpecificationVersion',
} as const;

/** Windows Hello for Business policy of the device's tenant (device scope: the node names the tenant). */
export const helloNode = (tenantId: string) => `./Device/Vendor/MSFT/PassportForWork/${encodeURIComponent(tenantId)}/Policies/UsePassportForWork`;

/** The compliance nodes of the inventory Get (DevDetail/SwV is read by the inventory already). */
export function complianceGetNodes(tenantId?: string): string[] {
  const nodes: string[] = Object.values(COMPLIANCE_NODES).filter((n) => n !== COMPLIANCE_NODES.osBuild);
  if (tenantId) nodes.push(helloNode(tenantId));
  return nodes;
}
