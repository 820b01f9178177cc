// Session traces for reading: each message indented by the strict XML reader and writer
// (protocol/xml-pretty.ts). The stored bodies are already redacted; indentation changes no text.
// A truncated message is not well-formed XML: it is left as stored, and says so.
import type { TraceEntry } from '../../domain/session.js';
import { prettyXml } from '../../protocol/xml-pretty.js';

export function prettyTraces<T extends TraceEntry>(t: { messages: T[] }): { messages: (T & { pretty: boolean })[] } {
  return {
    messages: t.messages.map((m) => {
      try {
        return { ...m, body: prettyXml(m.body), pretty: true };
      } catch {
        return { ...m, pretty: false };
      }
    }),
  };
}
