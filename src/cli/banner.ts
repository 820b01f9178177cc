// What `fenestra serve` prints once it listens: where devices enroll, which CA file clients
// trust, where the admin token is kept — the three things a new operator looks for first — and,
// while there is no administrator, the link that creates the first owner.
import path from 'node:path';
import type { Config } from '../config.js';
import { PATHS } from '../service/urls.js';
import { setupLink } from '../service/admins/setup.js';

const AUTO = 'enterpriseenrollment.';

/** Where the admin API and console are reached: the public URL, or its host on the admin listener's port (FENESTRA_ADMIN_LISTEN). */
export function adminBaseUrl(cfg: Config): string {
  if (!cfg.adminListen) return cfg.publicUrl;
  const u = new URL(cfg.publicUrl);
  u.port = String(cfg.adminListen.port);
  return u.origin;
}

/** The first owner's set-up line: open the link (once, within 24 hours). */
const setupNotice = (cfg: Config, code: string) =>
  `  first owner: open ${setupLink(adminBaseUrl(cfg), code)} (once, within 24 h; \`fenestra admins setup-link\` prints a new one)\n`;

export function startupBanner(cfg: Config, setupCode?: string): string {
  const u = new URL(cfg.publicUrl);
  const host = u.hostname;
  const lines = [`fenestra: devices enroll at ${cfg.publicUrl}${PATHS.discovery}`];
  // Automatic discovery always goes to port 443.
  if (u.port) lines.push(`  (port ${u.port}: Windows finds a server by itself on 443 only; type the address above when enrolling)`);
  // Windows derives the discovery host from the user's UPN domain: enterpriseenrollment.<domain>.
  if (host.startsWith(AUTO)) {
    lines.push(`  Windows finds it by itself for users @${host.slice(AUTO.length)} (Settings > Accounts > Access work or school > Connect)`);
  } else if (/^[^.]+\.[^.]+\.[^.]+/.test(host) && !/^[\d.]+$/.test(host)) {
    const domain = host.slice(host.indexOf('.') + 1);
    lines.push(`  for automatic discovery, point ${AUTO}${domain} (DNS) at this server: Windows looks up https://${AUTO}<UPN domain>${PATHS.discovery}`);
  } else {
    lines.push('  (a local address: type it as the server address in Settings > Accounts > Access work or school > Enroll only in device management)');
  }
  const caFile = cfg.ca?.certFile ?? path.join(cfg.certsDir, 'ca.pem');
  lines.push(`  device CA (issues device certificates): ${caFile}`);
  if (cfg.tls) lines.push(`  TLS certificate: ${cfg.tls.certFile} (FENESTRA_TLS_CERT): clients and devices trust its issuer`);
  else lines.push(`  TLS certificate: ${path.join(cfg.certsDir, 'tls.pem')}, signed by the CA above: clients trust ${caFile} (curl --cacert, fenestra --ca)`);
  if (setupCode) lines.push(setupNotice(cfg, setupCode).trimEnd());
  lines.push(
    cfg.adminToken
      ? '  admin token: from FENESTRA_ADMIN_TOKEN (or its _FILE)'
      : `  admin token: ${path.join(cfg.dataDir, 'admin-token')} (the CLI reads it from there: FENESTRA_DATA_DIR=${cfg.dataDir} fenestra devices list)`,
  );
  return lines.join('\n') + '\n';
}
