// Entra tenants connected to fenestra, and the on-premises enrollment accounts.

export type Cloud = 'standard' | 'gcc-high';

export interface Tenant {
  tenantId: string;
  cloud: Cloud;
  audiences: string[];
  enrollmentUrl?: string;
  remediationUrl?: string;
  createdAt: string;
  updatedAt: string;
}

export interface EnrollmentAccount {
  username: string;
  passwordHash: string;
  createdAt: string;
}
