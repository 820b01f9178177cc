// xmllint (libxml2) compiled to WebAssembly (npm xmllint-wasm): XSD validation and
// well-formedness checks by an independent parser, installed by `npm ci` like every other test
// tool — no system package needed.
import { validateXML } from 'xmllint-wasm';

/** '' when `xml` is valid against `schema` (with `preload`: schemas it imports), else libxml2's complaint. */
export async function xsdErrors(
  xml: string,
  schema: { fileName: string; contents: string },
  preload: { fileName: string; contents: string }[] = [],
): Promise<string> {
  const r = await validateXML({ xml: [{ fileName: 'doc.xml', contents: xml }], schema: [schema], preload });
  return r.valid ? '' : r.errors.map((e) => e.message).join('; ') || r.rawOutput.trim() || 'invalid';
}

/** Is `xml` well-formed for libxml2? */
export async function wellFormed(xml: string): Promise<boolean> {
  const r = await validateXML({ xml: [{ fileName: 'doc.xml', contents: xml }], normalization: 'format' });
  return r.valid;
}
