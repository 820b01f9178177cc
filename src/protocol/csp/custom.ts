// Custom OMA-URI settings: admin-given LocURI / format / value triples, checked (LocURI shape and
// scope prefix, value against its format) and passed through. Each node is its own unit unless
// the profile asks for one Atomic. Pure.
import type { Problems } from './common.js';
import type { CustomSettings } from './schemas.js';
import type { CompiledNode, CompiledProfile, CompiledUnit, Scope } from './types.js';
import { XmlError, parseXml } from '../xml.js';
import { locUriProblems } from './uri.js';

type CustomNode = CustomSettings['nodes'][number];

/** Formats whose Get returns the value as sent. */
const READ_BACK = new Set(['chr', 'int', 'bool', 'float', 'date', 'time']);

/** The management channel itself is off limits: a custom setting must not reconfigure or delete it. */
function touchesManagement(uri: string): boolean {
  return /^\.\/(?:(?:Device|User)\/)?Vendor\/MSFT\/DMClient(?:\/|$)/i.test(uri);
}

function valueProblem(n: CustomNode): string | undefined {
  const v = n.value;
  switch (n.format) {
    case 'int': {
      if (!/^-?[0-9]+$/.test(v)) return 'must be a decimal integer for format int';
      const x = Number(v);
      return x < -2147483648 || x > 2147483647 ? 'must fit in a signed 32-bit integer for format int' : undefined;
    }
    case 'bool':
      return v === 'true' || v === 'false' ? undefined : 'must be "true" or "false" for format bool';
    case 'float':
      return /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/.test(v) ? undefined : 'must be a decimal number for format float';
    case 'b64':
      return /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(v) ? undefined : 'must be base64 (no line breaks) for format b64';
    case 'node':
      return v === '' ? undefined : 'must be "" for format node (an interior node has no value)';
    case 'xml':
      try {
        parseXml(`<x>${v}</x>`, { maxBytes: 2 * 1024 * 1024, maxDepth: 64 });
        return undefined;
      } catch (err) {
        return `must be well-formed XML for format xml (${err instanceof XmlError ? err.message : String(err)})`;
      }
    default:
      return undefined;
  }
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
