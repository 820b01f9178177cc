// App packages named in command payloads (issue #15, contract 4): compiled commands carry
// `{{content:<sha256>}}` tokens, never a URL (the URL expires, the compiled profile must not);
// the reconciler's reveal step replaces them with signed URLs when the command is sent. Here so
// that the session engine and the reconciler need nothing of the apps module: the signer is
// service/apps/content-url.ts.
import type { CommandPayload } from '../../domain/command.js';

export const CONTENT_TOKEN = '{{content:';
const TOKENS = /\{\{content:([0-9a-f]{64})\}\}/g;

/** What the reveal step needs of a signer (service/apps/content-url.ts ContentUrlSigner). */
export interface ContentUrls {
  url(sha256: string): string;
}

/** Every `{{content:<sha256>}}` in `text` replaced by a signed URL; XML-escaped when `text` is an XML document (the URL has an `&`). */
export function resolveContentTokens(text: string, signer: ContentUrls, o: { xml?: boolean } = {}): string {
  if (!text.includes(CONTENT_TOKEN)) return text;
  return text.replace(TOKENS, (_m, sha256: string) => {
    const url = signer.url(sha256);
    return o.xml ? url.replaceAll('&', '&amp;') : url;
  });
}

/** Whether a payload (children included) has an item whose data names content by token. */
export const hasContentTokens = (p: CommandPayload): boolean => !!p.items?.some((i) => i.data?.includes(CONTENT_TOKEN)) || !!p.commands?.some(hasContentTokens);

/** The payload with its content tokens resolved (an item of format xml, or data that is a document, gets the XML-escaped URL). */
export function resolvePayloadContent(p: CommandPayload, signer: ContentUrls): CommandPayload {
  if (p.commands) return { ...p, commands: p.commands.map((c) => resolvePayloadContent(c, signer)) };
  if (!p.items?.some((i) => i.data?.includes(CONTENT_TOKEN))) return p;
  return {
    ...p,
    items: p.items.map((i) =>
      i.data?.includes(CONTENT_TOKEN)
        ? { ...i, data: resolveContentTokens(i.data, signer, { xml: i.format === 'xml' || i.data.trimStart().startsWith('<') }) }
        : i,
    ),
  };
}
