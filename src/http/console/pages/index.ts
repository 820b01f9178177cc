// Every page module of the console: each registers its pages and form actions on the
// ConsoleRoutes it is given. Add a module here with one line.
import type { ConsoleDeps } from '../deps.js';
import type { ConsoleRoutes } from '../page.js';
import * as dashboard from './dashboard.js';
import * as devices from './devices.js';
import * as device from './device.js';
import * as profiles from './profiles.js';
import * as apps from './apps.js';
import * as compliance from './compliance.js';
import * as entra from './entra.js';
import * as groups from './groups.js';
import * as enrollmentAccounts from './enrollment-accounts.js';
import * as audit from './audit.js';
import * as admins from './admins.js';
import * as tokens from './tokens.js';
import * as branding from './branding.js';
import * as esp from './esp.js';
import * as dayZero from './day-zero.js';

export const PAGE_MODULES: { register(routes: ConsoleRoutes, deps: ConsoleDeps): void }[] = [
  dashboard,
  devices,
  device,
  profiles,
  apps,
  compliance,
  entra,
  groups,
  enrollmentAccounts,
  audit,
  admins,
  tokens,
  branding,
  esp,
  dayZero,
];
