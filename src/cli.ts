#!/usr/bin/env node
// fenestra command line: `fenestra serve` (the default) starts the server; `fenestra --help`
// lists the rest (src/cli/main.ts).
import { main } from './cli/main.js';

// Everything this process creates (database, WAL, keys, backups) is owner-only, whatever the
// caller's umask; the code also sets explicit modes where it creates files.
process.umask(0o077);
main(process.argv.slice(2)).then((code) => {
  // -1: a server is running and exits on its own signal handlers.
  if (code >= 0) process.exit(code);
});
