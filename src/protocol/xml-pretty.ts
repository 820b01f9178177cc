// XML indented for reading (session traces on request): the document is read by the same strict
// parser as every codec (saxes: well-formed or refused, no DOCTYPE, bounded depth) and written
// again element by element in document order, two spaces per level. Text and CDATA are kept as
// they are (only whitespace between elements is replaced), so nothing a trace redacted reappears.
import { SaxesParser } from 'saxes';
import { XmlError } from './xml.js';
import { escLenient, escTextLenient } from './xml-write.js';

interface Node {
  name: string;
  attrs: [string, string][];
  children: (Node | { text: string } | { cdata: string })[];
}

const MAX_DEPTH = 64;

function tree(xml: string): Node {
  if (/<!\s*(DOCTYPE|ENTITY)/i.test(xml)) throw new XmlError('doctype', 'DOCTYPE and entity declarations are not accepted');
  const root: Node = { name: '', attrs: [], children: [] };
  const stack: Node[] = [root];
  const parser = new SaxesParser({ xmlns: false });
  parser.on('error', (err) => {
    throw new XmlError('malformed', `malformed XML: ${err.message}`);
  });
  parser.on('opentag', (tag) => {
    if (stack.length > MAX_DEPTH) throw new XmlError('too_deep', `XML nesting deeper than ${MAX_DEPTH} levels`);
    const n: Node = { name: tag.name, attrs: Object.entries(tag.attributes as Record<string, string>), children: [] };
    stack[stack.length - 1].children.push(n);
    stack.push(n);
  });
  parser.on('text', (t) => {
    if (stack.length > 1) stack[stack.length - 1].children.push({ text: t });
  });
  parser.on('cdata', (t) => stack[stack.length - 1].children.push({ cdata: t }));
  parser.on('closetag', () => {
    stack.pop();
  });
  try {
    parser.write(xml).close();
  } catch (err) {
    if (err instanceof XmlError) throw err;
    throw new XmlError('malformed', `malformed XML: ${(err as Error).message}`);
  }
  return root;
}

function write(n: Node, depth: number, out: string[]): void {
  const pad = '  '.repeat(depth);
  const open = `<${n.name}${n.attrs.map(([k, v]) => ` ${k}="${escLenient(v)}"`).join('')}`;
  if (n.children.length === 0) {
    out.push(`${pad}${open}/>`);
    return;
  }
  const leaf = (c: Node['children'][number]) => ('text' in c ? escTextLenient(c.text) : 'cdata' in c ? `<![CDATA[${c.cdata}]]>` : undefined);
  // Text alone stays on the element's line: <LocURI>./DevInfo/DevId</LocURI>.
  if (n.children.every((c) => !('name' in c))) {
    out.push(`${pad}${open}>${n.children.map(leaf).join('')}</${n.name}>`);
    return;
  }
  out.push(`${pad}${open}>`);
  for (const c of n.children) {
    if ('name' in c) write(c, depth + 1, out);
    // Between elements, whitespace is layout: the indentation replaces it.
    else if (!('text' in c) || c.text.trim()) out.push(`${pad}  ${leaf(c)}`);
  }
  out.push(`${pad}</${n.name}>`);
}

/** The document indented; throws XmlError when it is not well-formed (a truncated trace). */
export function prettyXml(xml: string): string {
  const out: string[] = [];
  for (const c of tree(xml).children) if ('name' in c) write(c, 0, out);
  return out.join('\n');
}
