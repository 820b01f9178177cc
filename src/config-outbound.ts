// FENESTRA_TEST_OUTBOUND and FENESTRA_TEST_OUTBOUND_CA: on a test machine only, send calls for
// chosen real hosts (Entra ID, Microsoft Graph) to local fakes and trust the fakes' CA.
import fs from 'node:fs';
import type { ConfigEnv } from './config-env.js';
import { parseOutboundMap, type OutboundOptions } from './service/entra/outbound.js';

export function parseTestOutbound(env: ConfigEnv, test: boolean, problems: string[]): OutboundOptions | undefined {
  const spec = env.FENESTRA_TEST_OUTBOUND;
  const caFile = env.FENESTRA_TEST_OUTBOUND_CA;
  if (!spec && !caFile) return undefined;
  if (!test) {
    problems.push('FENESTRA_TEST_OUTBOUND and FENESTRA_TEST_OUTBOUND_CA are accepted only with FENESTRA_ENV=test');
    return undefined;
  }
  const out: { hosts?: OutboundOptions['hosts']; ca?: string } = {};
  if (spec) {
    const hosts = parseOutboundMap(spec);
    if (typeof hosts === 'string') problems.push(`FENESTRA_TEST_OUTBOUND: ${hosts}`);
    else out.hosts = hosts;
  }
  if (caFile) {
    try {
      out.ca = fs.readFileSync(caFile, 'utf8');
    } catch (err) {
      problems.push(`FENESTRA_TEST_OUTBOUND_CA: cannot read ${caFile}: ${(err as Error).message}`);
    }
  }
  return out;
}
