// Runs `fenestra sim` inside the test's process, as its command line would (runSim), its output
// collected; `until` (the text so far → true) stops it as Ctrl-C would, for the commands that run
// until stopped (run, checkin --push-listen).
import { PassThrough } from 'node:stream';
import { runSim } from '../../src/sim/cli.js';

export interface SimRun {
  /** The exit code. */
  code: number;
  out: string;
}

export async function runSimHere(argv: string[], until?: (text: string) => boolean): Promise<SimRun> {
  const out = new PassThrough();
  const ac = new AbortController();
  let text = '';
  out.on('data', (c: Buffer) => {
    text += c.toString('utf8');
    if (until?.(text)) ac.abort();
  });
  const code = await runSim(argv, out, { signal: ac.signal });
  return { code, out: text };
}
