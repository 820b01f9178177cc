// Custom OMA-URI settings: admin-given LocURI / format / value triples, checked (LocURI shape and
// scope prefix, value against its format) and passed through. Each node is its own unit unless
// the profile asks for one Atomic. Pure.
import type { Problems } from './common.js';
import type { CustomSettings } from './schemas.js';
import type { CompiledNode, CompiledProfile, CompiledUnit, Scope } from './types.js';
import { formatValueProblem } from './node-value.js';
import { locUriProblems } from './uri.js';

type CustomNode = CustomSettings['nodes'][number];

/** Formats whose Get returns the value as sent. */
const READ_BACK = new Set(['chr', 'int', 'bool', 'float', 'date', 'time']);

/** The management channel itself is off limits: a custom setting must not reconfigure or delete it. */
function touchesManagement(uri: string): boolean {
  return /^\.\/(?:(?:Device|User)\/)?Vendor\/MSFT\/DMClient(?:\/|$)/i.test(uri);
}

function valueProblem(n: CustomNode): string | undefined {
  return formatValueProblem(n.format, n.value);
}

export function compileCustom(scope: Scope, s: CustomSettings, p: Problems): Omit<CompiledProfile, 'kind' | 'scope'> {
  const seen = new Set<string>();
  const nodes: CompiledNode[] = [];
  s.nodes.forEach((n, i) => {
    const at = `/nodes/${i}`;
    for (const m of locUriProblems(n.locUri, scope)) p.add(`${at}/locUri`, m);
    if (touchesManagement(n.locUri)) p.add(`${at}/locUri`, 'DMClient (the management channel) cannot be changed by a custom profile');
    if (seen.has(n.locUri)) p.add(`${at}/locUri`, 'appears more than once');
    seen.add(n.locUri);
    const vp = valueProblem(n);
    if (vp) p.add(`${at}/value`, vp);
    nodes.push({
      uri: n.locUri,
      format: n.format,
      ...(n.type !== undefined ? { type: n.type } : {}),
      value: n.value,
      ...(n.secret ? { secret: true } : {}),
      readBack: n.secret !== true && READ_BACK.has(n.format),
    });
  });
  const removal = s.removal ?? [...seen];
  (s.removal ?? []).forEach((uri, i) => {
    for (const m of locUriProblems(uri, scope)) p.add(`/removal/${i}`, m);
    if (touchesManagement(uri)) p.add(`/removal/${i}`, 'DMClient (the management channel) cannot be deleted by a custom profile');
  });
  const units: CompiledUnit[] = s.atomic
    ? [{ id: 'custom:atomic', nodes, atomic: true }]
    : nodes.map((n) => ({ id: `custom:${n.uri}`, nodes: [n], atomic: false }));
  return { units, removal, requires: [] };
}
