// Profile compiler: typed profile settings → CSP node settings (see types.ts; apps → commands, app.ts). Validation runs
// first — the kind's JSON Schema (all errors, JSON pointers), then the semantic rules (scope,
// cross-field, references to certificate profiles) — and any problem throws a
// ProfileValidationError listing all of them. Pure: same input, same output, byte for byte.
import { compileApp } from './app.js';
import { compileCertificate } from './certificate.js';
import { Problems, checkXmlChars } from './common.js';
import { compileCustom } from './custom.js';
import { compileEmail, emailScopeProblem } from './email.js';
import { compileHello } from './hello.js';
import type { AppSettings, CertificateSettings, CustomSettings, EmailSettings, HelloSettings, VpnSettings, WifiSettings } from './schemas.js';
import { PROFILE_KINDS, ProfileValidationError, type CompileContext, type CompiledProfile, type ProfileKind, type Scope } from './types.js';
import { schemaErrors } from './validate.js';
import { compileVpn } from './vpn.js';
import { compileWifi } from './wifi.js';

export * from './types.js';
export { PROFILE_SCHEMAS, type EmailSettings, type HelloSettings, type VpnSettings, type WifiSettings } from './schemas.js';
export { redactProfile, removalCommands, unitCommands } from './commands.js';
export { profileDelta } from './delta.js';
export { emailAccountGuid } from './email.js';
export { appDelta, appProgress } from './app.js';
export { ssidHex } from './wifi.js';

export function compileProfile(kind: ProfileKind, scope: Scope, settings: unknown, ctx: CompileContext = {}): CompiledProfile {
  const p = new Problems();
  if (!PROFILE_KINDS.includes(kind)) throw new ProfileValidationError([{ pointer: '/kind', message: `must be one of: ${PROFILE_KINDS.join(', ')}` }]);
  if (scope !== 'user' && scope !== 'device') throw new ProfileValidationError([{ pointer: '/scope', message: 'must be "user" or "device"' }]);
  if (kind === 'email') emailScopeProblem(scope, p);
  for (const e of schemaErrors(kind, settings)) p.add(e.pointer, e.message);
  if (p.any) throw new ProfileValidationError(p.list);
  checkXmlChars(settings, '', p);
  if (p.any) throw new ProfileValidationError(p.list);

  let body: Omit<CompiledProfile, 'kind' | 'scope'>;
  switch (kind) {
    case 'vpn':
      body = compileVpn(scope, settings as VpnSettings, ctx, p);
      break;
    case 'wifi':
      body = compileWifi(scope, settings as WifiSettings, ctx, p);
      break;
    case 'email':
      body = compileEmail(settings as EmailSettings, p);
      break;
    case 'certificate':
      body = compileCertificate(scope, settings as CertificateSettings, p);
      break;
    case 'hello':
      body = compileHello(scope, settings as HelloSettings, p);
      break;
    case 'custom':
      body = compileCustom(scope, settings as CustomSettings, p);
      break;
    case 'app':
      body = compileApp(scope, settings as AppSettings, ctx, p);
      break;
  }
  if (p.any) throw new ProfileValidationError(p.list);
  return { kind, scope, ...body };
}
