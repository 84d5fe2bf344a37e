/**
 * The kapi-review command line. Thin: it reads inputs, calls the pure pipeline and prints.
 * Exit codes: 0 done, 1 findings at error severity (check), 2 bad usage or unreadable input.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { buildSeries } from '../../parsers/series.js';
import { type MailIssues, renderSeriesText, seriesToJson } from '../../reporters/series.js';
import { renderSpecIndexText, specIndexToJson } from '../../reporters/specs.js';
import { indexTree } from '../index/specs.js';
import { readMails } from '../io/inputs.js';
import { progressBar } from './progress.js';

/** The package version; the file sits two levels up in the sources and three in dist/. */
function version(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'kapi-review' && pkg.version) return pkg.version;
    } catch {
      // not at this level
    }
  }
  return 'unknown';
}

class UsageError extends Error {}

async function seriesCommand(
  inputs: string[],
  opts: { format: string },
  out: (s: string) => void,
): Promise<number> {
  const mails = [];
  const mailIssues: MailIssues[] = [];
  try {
    for await (const m of readMails(inputs)) {
      mails.push(m.mail);
      if (m.issues.length > 0)
        mailIssues.push({ origin: m.origin, messageId: m.mail.messageId, issues: m.issues });
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT' || err.code === 'EACCES' || err.code === 'EISDIR')
      throw new UsageError(`cannot read ${err.path ?? 'input'}: ${err.code}`);
    throw e;
  }
  const built = buildSeries(mails);
  if (built.issues.length > 0) mailIssues.push({ origin: '(series)', messageId: null, issues: built.issues });
  if (opts.format === 'json') out(`${JSON.stringify(seriesToJson(built.value, mailIssues), null, 2)}\n`);
  else out(renderSeriesText(built.value, mailIssues));
  return 0;
}

async function specsCommand(
  inputs: string[],
  opts: { format: string },
  out: (s: string) => void,
): Promise<number> {
  const bar = progressBar('indexing');
  let index: Awaited<ReturnType<typeof indexTree>>;
  try {
    index = await indexTree(inputs, { onProgress: (d, t) => bar.update(d, t) });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT' || err.code === 'EACCES')
      throw new UsageError(`cannot read ${err.path ?? 'input'}: ${err.code}`);
    throw e;
  } finally {
    bar.done();
  }
  if (opts.format === 'json') out(`${JSON.stringify(specIndexToJson(index), null, 2)}\n`);
  else out(renderSpecIndexText(index));
  return 0;
}

export interface CliIo {
  out: (s: string) => unknown;
  err: (s: string) => unknown;
}

const stdio: CliIo = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

export async function main(argv: string[], io: CliIo = stdio): Promise<number> {
  let code = 0;
  const program = new Command('kapi-review')
    .description('Review Linux kernel patches for KAPI specification drift')
    .version(version())
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  program
    .command('series')
    .description('assemble mails into series and show them (cover letter, n/N, revisions, state)')
    .argument('<inputs...>', '.patch/.eml/.mbox files, folders of them, or - for stdin')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (inputs: string[], opts: { format: string }) => {
      code = await seriesCommand(inputs, opts, io.out);
    });
  program
    .command('specs')
    .description('index KAPI specs (all forms) and SYSCALL_DEFINEs in C files or trees')
    .argument('<inputs...>', 'C files or folders (a whole kernel tree is fine)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (inputs: string[], opts: { format: string }) => {
      code = await specsCommand(inputs, opts, io.out);
    });
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof UsageError) {
      io.err(`kapi-review: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  return code;
}
