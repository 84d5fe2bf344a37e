import { Readable } from 'node:stream';
import { main } from '../../app/cli/main.js';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** `kapi-review ARGV...` in this process, with `stdin` (when given) as its standard input. */
export async function runCli(argv: string[], stdin?: string): Promise<CliRun> {
  const run: CliRun = { code: 0, out: '', err: '' };
  run.code = await main(['node', 'kapi-review', ...argv], {
    out: (s) => {
      run.out += s;
    },
    err: (s) => {
      run.err += s;
    },
    ...(stdin !== undefined ? { stdin: Readable.from([Buffer.from(stdin)]) } : {}),
  });
  return run;
}
