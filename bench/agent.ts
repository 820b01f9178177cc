// A kept-alive HTTPS agent for benchmark clients that always talk to one server with the same
// TLS options (one device, or one fleet sharing trust anchors). Node's Agent keys its socket
// pools by a name built from every TLS option on each request — with PEM CA, certificate and
// key strings that is a ~4 KB string, rebuilt and hashed several times per request, which made
// up a sizeable part of the load generator's CPU. The name is computed once, by Node, and kept.
// Connections, TLS and HTTP parsing are Node's as before.
import https from 'node:https';

export class OneServerAgent extends https.Agent {
  #name?: string;

  override getName(options?: https.RequestOptions): string {
    return (this.#name ??= super.getName(options));
  }
}
