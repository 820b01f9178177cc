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
  {
    version: 2,
    name: 'management',
    sql: `
ALTER TABLE devices ADD COLUMN last_seen_at TEXT;
ALTER TABLE devices ADD COLUMN current_user_oid TEXT;
ALTER TABLE devices ADD COLUMN current_user_upn TEXT;
ALTER TABLE devices ADD COLUMN login_status TEXT;
ALTER TABLE devices ADD COLUMN inventory TEXT;
ALTER TABLE devices ADD COLUMN inventory_at TEXT;
ALTER TABLE devices ADD COLUMN unenrolled_at TEXT;

CREATE TABLE commands (
  id             TEXT PRIMARY KEY,
  device_pk      TEXT NOT NULL REFERENCES devices (id),
  user_oid       TEXT,
  origin         TEXT NOT NULL,
  action         TEXT,
  payload        TEXT NOT NULL,
  state          TEXT NOT NULL,
  held_reason    TEXT,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL,
  expires_at     TEXT,
  attempts       INTEGER NOT NULL DEFAULT 0,
  max_attempts   INTEGER NOT NULL DEFAULT 3,
  sent_session   TEXT,
  sent_msg_id    TEXT,
  sent_cmd_id    TEXT,
  sent_at        TEXT,
  status         TEXT,
  detail         TEXT,
  acked_at       TEXT,
  error          TEXT
);
CREATE INDEX commands_device_state ON commands (device_pk, state, created_at);

CREATE TABLE command_results (
  command_id TEXT NOT NULL REFERENCES commands (id),
  seq        INTEGER NOT NULL,
  loc_uri    TEXT NOT NULL,
  format     TEXT,
  type       TEXT,
  data       TEXT,
  PRIMARY KEY (command_id, seq)
);

CREATE TABLE dm_sessions (
  device_pk  TEXT NOT NULL,
  session_id TEXT NOT NULL,
  state      TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (device_pk, session_id)
);

CREATE TABLE device_logins (
  device_pk  TEXT NOT NULL,
  user_oid   TEXT NOT NULL,
  upn        TEXT,
  first_seen TEXT NOT NULL,
  last_seen  TEXT NOT NULL,
  sessions   INTEGER NOT NULL,
  PRIMARY KEY (device_pk, user_oid)
);

CREATE TABLE device_alerts (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  device_pk  TEXT NOT NULL,
  at         TEXT NOT NULL,
  code       TEXT NOT NULL,
  type       TEXT,
  format     TEXT,
  mark       TEXT,
  source     TEXT,
  data       TEXT
);
CREATE INDEX device_alerts_device ON device_alerts (device_pk, id);

CREATE TABLE session_traces (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  device_pk  TEXT NOT NULL,
  session_id TEXT NOT NULL,
  msg_id     TEXT NOT NULL,
  direction  TEXT NOT NULL,
  at         TEXT NOT NULL,
  body       TEXT NOT NULL,
  truncated  INTEGER NOT NULL
);
CREATE INDEX session_traces_device ON session_traces (device_pk, id);
`,
  },
  {
    version: 3,
    name: 'deliverable-index',
    // The per-session "what is there to send" query reads this partial index in order: no sort.
    sql: `CREATE INDEX commands_deliverable ON commands (device_pk, created_at, id) WHERE state IN ('queued', 'held');`,
  },
  {
    version: 4,
    name: 'profiles',
    sql: `
CREATE TABLE profiles (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  kind       TEXT NOT NULL,
  scope      TEXT NOT NULL,
  settings   TEXT NOT NULL,
  version    INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  deleted_at TEXT
);

CREATE TABLE groups (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  kind       TEXT NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE group_members (
  group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  member   TEXT NOT NULL,
  PRIMARY KEY (group_id, member)
);
CREATE INDEX group_members_member ON group_members (member);

CREATE TABLE assignments (
  profile_id  TEXT NOT NULL REFERENCES profiles (id),
  target_type TEXT NOT NULL,
  target_id   TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  PRIMARY KEY (profile_id, target_type, target_id)
);
CREATE INDEX assignments_target ON assignments (target_type, target_id);
`,
  },
  {
    version: 5,
    name: 'profile-delivery',
    // Per-user delivery of profiles: every version of a profile's settings (to diff what a
    // device has against what it should have), one delivery row per (device, user, profile),
    // a generation counter that any change to profiles, assignments or groups bumps (a device
    // whose plan mark equals it has nothing to reconcile), and the link from a queued command
    // to the delivery it belongs to. Delivery rows are clustered by device (WITHOUT ROWID: a
    // session reads all of its device's rows with one B-tree seek; PostgreSQL spells it otherwise).
    sql: `
CREATE TABLE profile_versions (
  profile_id TEXT NOT NULL REFERENCES profiles (id),
  version    INTEGER NOT NULL,
  settings   TEXT NOT NULL,
  context    TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (profile_id, version)
);
INSERT INTO profile_versions (profile_id, version, settings, context, created_at)
  SELECT id, version, settings, NULL, updated_at FROM profiles;
ALTER TABLE profiles ADD COLUMN context TEXT;

CREATE TABLE profile_generation (
  id  INTEGER PRIMARY KEY,
  gen INTEGER NOT NULL
);
INSERT INTO profile_generation (id, gen) VALUES (1, 1);

CREATE TABLE profile_deliveries (
  device_pk       TEXT NOT NULL REFERENCES devices (id),
  user_key        TEXT NOT NULL,
  profile_id      TEXT NOT NULL REFERENCES profiles (id),
  upn             TEXT,
  version         INTEGER NOT NULL,
  applied_version INTEGER,
  status          TEXT NOT NULL,
  detail          TEXT,
  hold            TEXT,
  batch           TEXT,
  updated_at      TEXT NOT NULL,
  PRIMARY KEY (device_pk, user_key, profile_id)
) WITHOUT ROWID;
CREATE INDEX profile_deliveries_profile ON profile_deliveries (profile_id, status);
CREATE INDEX profile_deliveries_batch ON profile_deliveries (batch);

ALTER TABLE commands ADD COLUMN batch TEXT;
ALTER TABLE commands ADD COLUMN profile_ref TEXT;
CREATE INDEX commands_batch ON commands (batch) WHERE batch IS NOT NULL;
ALTER TABLE devices ADD COLUMN plan_mark TEXT;
-- The device list pages in (enrolled_at, id) order: the index covers both (no sort per page).
DROP INDEX devices_enrolled_at;
CREATE INDEX devices_enrolled_at ON devices (enrolled_at, id);
`,
  },
];
