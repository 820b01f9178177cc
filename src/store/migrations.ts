// Versioned schema migrations, applied in order at start-up. SQL is kept portable
// (TEXT timestamps in ISO-8601 UTC, no engine-specific types) so PostgreSQL can share it.

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'enrollment',
    sql: `
CREATE TABLE tenants (
  tenant_id       TEXT PRIMARY KEY,
  cloud           TEXT NOT NULL,
  audiences       TEXT NOT NULL,
  enrollment_url  TEXT,
  remediation_url TEXT,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL
);

CREATE TABLE audit_log (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  at          TEXT NOT NULL,
  actor       TEXT NOT NULL,
  action      TEXT NOT NULL,
  target_type TEXT NOT NULL,
  target_id   TEXT NOT NULL,
  detail      TEXT
);

CREATE TABLE enrollment_accounts (
  username      TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  created_at    TEXT NOT NULL
);

CREATE TABLE devices (
  id                TEXT PRIMARY KEY,
  device_id         TEXT NOT NULL UNIQUE,
  hw_dev_id         TEXT,
  entra_device_id   TEXT,
  enrollment_type   TEXT NOT NULL,
  auth_method       TEXT NOT NULL,
  tenant_id         TEXT,
  user_oid          TEXT,
  upn               TEXT,
  device_name       TEXT,
  os_version        TEXT,
  os_edition        TEXT,
  device_type       TEXT,
  state             TEXT NOT NULL,
  enrolled_at       TEXT NOT NULL,
  updated_at        TEXT NOT NULL,
  terms_accepted_at TEXT,
  dm_username       TEXT NOT NULL,
  dm_password_digest TEXT NOT NULL,
  dm_server_name    TEXT NOT NULL,
  dm_server_digest  TEXT NOT NULL,
  dm_nonce          TEXT NOT NULL
);
CREATE INDEX devices_enrolled_at ON devices (enrolled_at);

CREATE TABLE certificates (
  serial            TEXT PRIMARY KEY,
  device_pk         TEXT NOT NULL REFERENCES devices (id),
  thumbprint        TEXT NOT NULL UNIQUE,
  subject           TEXT NOT NULL,
  not_before        TEXT NOT NULL,
  not_after         TEXT NOT NULL,
  issued_at         TEXT NOT NULL,
  status            TEXT NOT NULL,
  revoked_at        TEXT,
  revocation_reason TEXT,
  der_base64        TEXT NOT NULL,
  replaces_serial   TEXT
);
CREATE INDEX certificates_device ON certificates (device_pk);
`,
  },
];
