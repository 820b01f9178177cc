// xmllint (libxml2) compiled to WebAssembly (npm xmllint-wasm): XSD validation and
// well-formedness checks by an independent parser, installed by `npm ci` like every other test
// tool — no system package needed.
import { validateXML } from 'xmllint-wasm';

/**
 * XSD validation of several documents in one xmllint run: the schema is compiled once, and one
 * WebAssembly worker started instead of one per document (seconds each on a busy machine).
 * Name → '' when the document is valid against `schema` (with `preload`: schemas it imports),
 * else libxml2's complaint about it.
 */
export async function xsdErrorsEach(
  docs: Record<string, string>,
  schema: { fileName: string; contents: string },
  preload: { fileName: string; contents: string }[] = [],
): Promise<Record<string, string>> {
  const names = Object.keys(docs);
  const file = (i: number) => `doc-${i}.xml`;
  const r = await validateXML({ xml: names.map((n, i) => ({ fileName: file(i), contents: docs[n] })), schema: [schema], preload });
  // xmllint says `doc-N.xml validates` or `doc-N.xml fails to validate` after the complaints `doc-N.xml:LINE: ...`.
  const lines = r.rawOutput.split('\n');
  const out: Record<string, string> = {};
  names.forEach((n, i) => {
    if (lines.includes(`${file(i)} validates`)) out[n] = '';
    else {
      const said = lines.filter((l) => l.startsWith(`${file(i)}:`)).map((l) => l.replace(/^[^:]*:\d+:\s*/, ''));
      out[n] = said.join('; ') || 'invalid';
    }
  });
  return out;
}

/** Is `xml` well-formed for libxml2? */
export async function wellFormed(xml: string): Promise<boolean> {
  const r = await validateXML({ xml: [{ fileName: 'doc.xml', contents: xml }], normalization: 'format' });
  return r.valid;
}
