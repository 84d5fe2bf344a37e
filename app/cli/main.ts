/**
 * The kapi-review command line. Thin: it reads inputs, calls the pure pipeline and prints.
 * Exit codes: 0 done, 1 findings at error severity (check), 2 bad usage, an input that cannot be
 * read (a missing file, a FIFO or device, any filesystem error) or one with nothing in it (no
 * mail at all; for `specs`, no C file).
 */

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { CHECKS } from '../../checks/index.js';
import { DIFF_FILTERS } from '../../checks/review.js';
import type { Finding } from '../../checks/types.js';
import { isCFile } from '../../checks/unit.js';
import { DRAFT_FORMS } from '../../parsers/kapi/draft.js';
import { DEFAULT_LORE_URL, looksLikeLoreRef } from '../../parsers/lore-refs.js';
import type { PatchMail } from '../../parsers/mail.js';
import { buildSeries } from '../../parsers/series.js';
import { sanitize } from '../../parsers/text/controls.js';
import { renderB4 } from '../../reporters/b4.js';
import { type FrameworkView, frameworksToJson, renderFrameworkText } from '../../reporters/framework.js';
import { renderJson } from '../../reporters/json.js';
import { FAIL_LEVELS, type FailLevel, failsAt, renderLines } from '../../reporters/line.js';
import { buildReport, type ReviewReport } from '../../reporters/report.js';
import { renderSarif } from '../../reporters/sarif.js';
import { type MailIssues, renderSeriesText, seriesToJson } from '../../reporters/series.js';
import { renderSpecIndexText, specIndexToJson } from '../../reporters/specs.js';
import { renderTerminal } from '../../reporters/terminal.js';
import { loadCParser } from '../c/language.js';
import { defaultCacheDir, factCache } from '../cache/facts.js';
import type { ReviewConfig } from '../config/index.js';
import { directoryTree } from '../context/tree.js';
import { frameworkForSeries, frameworkForTree } from '../framework/resolve.js';
import { FileError, fsErrorText, isFsError } from '../io/files.js';
import { type CollectedMails, collectMails, type InputMail } from '../io/inputs.js';
import { packageVersion as version } from '../io/package.js';
import { reviewSeriesSet } from '../review/run.js';
import type { AuditCliOptions } from './audit.js';
// audit, bot and dashboard are loaded when their command runs: their mail, IMAP and SQLite modules cost
// `check` about 0.4 s of start-up otherwise
import type { BotOptions } from './bot.js';
import { useColour } from './colour.js';
import { commandConfig } from './config.js';
import type { DashboardCliOptions, SummaryCliOptions } from './dashboard.js';
import type { DraftCliOptions } from './draft.js';
import type { PatchworkCheckOptions } from './patchwork.js';
import { progressBar } from './progress.js';
import type { SpecDiffOptions } from './spec-diff.js';
import { UsageError } from './usage.js';

/** The inputs in a message: `x.mbox`, `stdin`, `the folder d/`. */
function describeInputs(inputs: string[]): string {
  return inputs.map((i) => (i === '-' ? 'stdin' : i)).join(', ') || 'the input';
}

const NO_MAIL_HINT = 'a folder is searched for .patch, .eml, .mbox, .mbx, .txt, .diff and .msg files';

/**
 * Every mail of the inputs for series building (copies dropped as read, follow-ups compacted:
 * app/io/inputs.ts collectMails), with their issues; an unreadable input is a usage error.
 */
async function readAllMails(
  inputs: string[],
  io: CliIo,
  more?: () => Promise<readonly InputMail[]>,
): Promise<CollectedMails> {
  try {
    return await collectMails(inputs, io.stdin, more);
  } catch (e) {
    if (e instanceof FileError) throw new UsageError(e.message);
    throw e;
  }
}

/**
 * Whether a message read is mail (or a bare diff) at all: text without a From, Subject or
 * Message-ID header and without a diff (`hello`, a README, a binary file) is not.
 */
function isMail(m: PatchMail): boolean {
  return m.messageId !== null || m.from !== null || m.subject.trim() !== '' || m.diff !== null;
}

/** Whether a folder looks like a kernel tree or holds C sources (its entries, and one level down). */
function holdsCSources(dir: string, depth = 1): boolean {
  try {
    const entries = readdirSync(dir, { withFileTypes: true });
    if (entries.some((e) => e.name === 'Kbuild' || (e.isFile() && isCFile(e.name)))) return true;
    if (depth === 0) return false;
    return entries
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .slice(0, 64)
      .some((e) => holdsCSources(join(dir, e.name), depth - 1));
  } catch {
    return false;
  }
}

/**
 * For `check` given C files or a kernel tree: what they are and the command that checks the specs
 * in them as they stand (`audit`); empty when no input is one.
 */
function auditPointer(inputs: string[]): string {
  const what: string[] = [];
  for (const i of inputs) {
    if (i === '-') continue;
    try {
      const st = statSync(i);
      if (st.isDirectory() ? holdsCSources(i) : st.isFile() && isCFile(i))
        what.push(`${sanitize(i, 'terminalLine')} ${st.isDirectory() ? 'holds' : 'is'} C source`);
    } catch {}
  }
  if (what.length === 0) return '';
  const named = inputs.filter((i) => i !== '-').map((i) => sanitize(i, 'terminalLine'));
  return `; ${what.join(', ')}: to check the specs in C files as they stand, run: kapi-review audit ${named.join(' ')}`;
}

/**
 * `check` given a kernel tree as an input (not as --tree): a tree is not mail, though a few of its
 * files read as bare diffs, and reviewing those as if they were the input would report "0 errors"
 * about a tree it never looked at.
 */
function refuseTrees(inputs: string[]): void {
  for (const i of inputs) {
    if (i === '-') continue;
    let names: string[];
    try {
      names = statSync(i).isDirectory() ? readdirSync(i) : [];
    } catch {
      continue;
    }
    if (names.includes('Kbuild') && names.includes('Makefile')) {
      const p = sanitize(i, 'terminalLine');
      throw new UsageError(
        `${p} is a kernel tree, not mail: to check the specs in it as they stand, run: kapi-review audit ${p}; to review patches on it, give it as --tree ${p}`,
      );
    }
  }
}

/**
 * A usage error when the inputs held no mail at all: an empty file, folder or stdin, or text in
 * which no message is mail (see isMail). `check` also points at `audit` for C files and trees.
 */
function requireMail(read: CollectedMails, inputs: string[], opts: { pointAtAudit?: boolean } = {}): void {
  if (read.mails.some(isMail)) return;
  const folders = inputs.some((i) => {
    try {
      return i !== '-' && statSync(i).isDirectory();
    } catch {
      return false;
    }
  });
  const where = inputs.length === 1 && inputs[0] === '-' ? 'on stdin' : `in ${describeInputs(inputs)}`;
  const hint = folders
    ? ` (${NO_MAIL_HINT})`
    : read.messages > 0
      ? ` (${read.messages} message${read.messages === 1 ? '' : 's'} read, none with a From, Subject or Message-ID header or a diff)`
      : '';
  throw new UsageError(`no mail ${where}${hint}${opts.pointAtAudit ? auditPointer(inputs) : ''}`);
}

/** `--tree DIR` must name a directory. */
async function checkTreeOption(tree: string | undefined): Promise<void> {
  if (!tree) return;
  const { stat } = await import('node:fs/promises');
  let why = 'not a directory';
  const st = await stat(tree).catch((e: unknown) => {
    if (isFsError(e)) why = `not a directory: ${fsErrorText(e, tree).slice(`cannot read ${tree}: `.length)}`;
    return null;
  });
  if (!st?.isDirectory()) throw new UsageError(`--tree ${tree}: ${why}`);
}

async function seriesCommand(inputs: string[], opts: { format: string }, io: CliIo): Promise<number> {
  const out = io.out;
  const read = await readAllMails(inputs, io);
  requireMail(read, inputs);
  const mailIssues: MailIssues[] = read.issues;
  const built = buildSeries(read.mails, read.dropped);
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
  const { indexTree } = await import('../index/specs.js');
  const bar = progressBar('indexing');
  let index: Awaited<ReturnType<typeof indexTree>>;
  try {
    index = await indexTree(inputs, { onProgress: (d, t) => bar.update(d, t) });
  } catch (e) {
    if (e instanceof FileError) throw new UsageError(e.message);
    if (isFsError(e)) throw new UsageError(fsErrorText(e));
    throw e;
  } finally {
    bar.done();
  }
  if (index.stats.files === 0) throw new UsageError(`no .c or .h file in ${describeInputs(inputs)}`);
  if (opts.format === 'json') out(`${JSON.stringify(specIndexToJson(index), null, 2)}\n`);
  else out(renderSpecIndexText(index));
  return 0;
}

async function frameworkCommand(
  inputs: string[],
  opts: { format: string; tree?: string; all?: boolean },
  io: CliIo,
): Promise<number> {
  await checkTreeOption(opts.tree);
  const views: FrameworkView[] = [];
  if (inputs.length === 0) {
    const choice = await frameworkForTree(opts.tree ? directoryTree(opts.tree) : null);
    views.push({ subject: opts.tree ? `tree ${opts.tree}` : 'no series, no tree', ...choice });
  } else {
    const read = await readAllMails(inputs, io);
    requireMail(read, inputs);
    const set = buildSeries(read.mails, read.dropped).value;
    if (set.series.length === 0) throw new UsageError('no patch series in the input');
    for (const series of set.series)
      views.push({
        subject: `${series.title} (v${series.revision})`,
        ...(await frameworkForSeries(series, opts.tree ?? null)),
      });
  }
  if (opts.format === 'json') io.out(`${JSON.stringify(frameworksToJson(views), null, 2)}\n`);
  else io.out(renderFrameworkText(views, { all: opts.all ?? false }));
  return 0;
}

interface CheckOptions {
  format: string;
  tree?: string;
  filter?: string;
  ignore?: string;
  config?: string;
  /** Resolved by the caller from --colour/--color/--no-colour/--no-color, NO_COLOR and the TTY. */
  colour?: boolean;
  failOn?: FailLevel;
  loreUrl?: string;
  /** False with --no-cache. */
  cache?: boolean;
  cacheDir?: string;
}

/**
 * Prints the report in its format and returns the exit code: 1 when a finding at or above
 * `--fail-on` (default error) is in it, for the line format only the findings it printed (so that
 * a run that printed nothing is never a failure to b4); 0 always for b4's JSON, whose verdict is
 * the status.
 */
export function printReport(report: ReviewReport, opts: CheckOptions, io: CliIo): number {
  const failOn = opts.failOn ?? 'error';
  const colour = opts.colour ?? false;
  let counted: readonly Finding[] = [...report.findings, ...report.outside];
  switch (opts.format) {
    case 'json':
      io.out(renderJson(report));
      break;
    case 'sarif':
      io.out(
        renderSarif(report, {
          version: version(),
          informationUri: 'https://github.com/kapi-review/kapi-review',
          rules: CHECKS.map((c) => c.meta),
        }),
      );
      break;
    case 'b4':
      io.out(renderB4(report));
      // b4 reads the verdict from the JSON; a non-zero exit would be shown as a failed tool run
      return 0;
    case 'line':
      io.out(renderLines(report, { colour }));
      // not findings, so not lines: said on stderr, which b4 counts as a failure, never a pass
      for (const c of report.crashes)
        io.err(
          `kapi-review: internal error: check ${c.check} crashed on ${sanitize(c.path, 'terminalLine')}: ${sanitize(c.error, 'terminalLine')}\n`,
        );
      for (const n of report.notes)
        if ((report.tooLarge ?? []).some((r) => n.endsWith(r)))
          io.err(`kapi-review: ${sanitize(n, 'terminalLine')}\n`);
      counted = report.findings;
      break;
    default:
      io.out(renderTerminal(report, { colour }));
  }
  return counted.some((f) => failsAt(f.severity, failOn)) ? 1 : 0;
}

/** The configuration `check` and `audit` review by: the file (or --config), then --ignore. */
export async function cliConfig(opts: { config?: string; ignore?: string }): Promise<ReviewConfig> {
  const ids = CHECKS.map((c) => c.meta.id);
  const config = await commandConfig(opts.config);
  for (const id of (opts.ignore ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (!ids.includes(id)) throw new UsageError(`--ignore: unknown check ${id}`);
    config.ignore.push({ check: id });
  }
  return config;
}

async function checkCommand(inputs: string[], opts: CheckOptions, io: CliIo): Promise<number> {
  const config = await cliConfig(opts);
  if (opts.filter) config.filter = opts.filter as typeof config.filter;
  await checkTreeOption(opts.tree);
  // lore: a lore URL or a Message-ID (not a file) is fetched as its whole thread (app/sources/lore.ts)
  const loreRefs = inputs.filter((i) => looksLikeLoreRef(i, existsSync));
  const files = inputs.filter((i) => !loreRefs.includes(i));
  refuseTrees(files);
  const baseUrl = opts.loreUrl || process.env.KAPI_LORE_URL || DEFAULT_LORE_URL;
  const read = await readAllMails(files, io, async () => {
    if (loreRefs.length === 0) return [];
    // the HTTP client (zlib, timers) loads only for a lore reference
    const { fetchThreadMails, LoreError } = await import('../sources/lore.js');
    const fetched: InputMail[] = [];
    for (const ref of loreRefs) {
      try {
        fetched.push(...(await fetchThreadMails(ref, { baseUrl })));
      } catch (e) {
        if (e instanceof LoreError) throw new UsageError(e.message);
        throw e;
      }
    }
    return fetched;
  });
  requireMail(read, inputs, { pointAtAudit: true });
  const set = buildSeries(read.mails, read.dropped).value;
  // mail without a patch (a discussion): say so rather than a bare total; not in the line format,
  // where b4 would take any stderr line for a failure and a mail without a patch passes
  if (set.series.length === 0 && opts.format !== 'line')
    io.err('kapi-review: no patch in the input: nothing was reviewed\n');
  // --no-cache: parsed files stay in this process, so no build version is needed to tell its
  // entries apart (finding it walks every module of the build: a few ms at each start)
  const cache =
    opts.cache === false
      ? { dir: null, version: 'this process' }
      : // entries go to disk from a worker thread while the review goes on; the report is
        // printed first, then the command waits for them
        { dir: opts.cacheDir ?? defaultCacheDir(), background: true };
  try {
    const reviewed = await reviewSeriesSet(set, {
      checks: CHECKS,
      config,
      // loaded by the review when an image has a spec to analyse (most series have none)
      parser: null,
      loadParser: loadCParser,
      tree: opts.tree ?? null,
      cache,
    });
    return printReport(buildReport(reviewed), opts, io);
  } finally {
    // also when the review failed: what it parsed is kept, and the cap
    await factCache(cache).flush();
  }
}

export interface CliIo {
  out: (s: string) => unknown;
  err: (s: string) => unknown;
  /** Standard input for `-` (default: the process's). */
  stdin?: AsyncIterable<Uint8Array>;
}

const stdio: CliIo = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

/** The commands that read mail or C files: series, check, specs, framework. */
function addReviewCommands(program: Command, io: CliIo, setCode: (code: number) => void): void {
  program
    .command('series')
    .description('assemble mails into series and show them (cover letter, n/N, revisions, state)')
    .argument('<inputs...>', '.patch/.eml/.mbox files, folders of them, or - for stdin')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (inputs: string[], opts: { format: string }) => {
      setCode(await seriesCommand(inputs, opts, io));
    });
  const check = program
    .command('check')
    .description('review patches: check KAPI specs against the code they describe')
    .argument('<inputs...>', '.patch/.eml/.mbox files, folders of them, or - for stdin')
    .option('-t, --tree <dir>', 'kernel tree to apply the series on (a directory or a git checkout)')
    .addOption(
      new Option(
        '-f, --format <format>',
        'output format (line: one path:line: LEVEL:check: message line per finding and nothing else, for b4 hooks and editors)',
      )
        .choices(['text', 'line', 'json', 'sarif', 'b4'])
        .default('text'),
    )
    .addOption(
      new Option(
        '--filter <mode>',
        'which findings are reported inline (the rest go to the summary)',
      ).choices(DIFF_FILTERS),
    )
    .option('--ignore <ids>', 'comma-separated check ids to silence')
    .option('-c, --config <file>', 'configuration file (default: ./.kapi-review.yml when present)')
    .addOption(
      new Option(
        '--fail-on <level>',
        'exit 1 when a finding at this level or above is reported (warning: as checkpatch does)',
      )
        .choices(FAIL_LEVELS)
        .default('error'),
    )
    .option('--colour', 'colour the text output (default: when stdout is a terminal and NO_COLOR is not set)')
    .option('--no-colour', 'never colour the text output')
    .option('--color', 'the same as --colour')
    .option('--no-color', 'the same as --no-colour')
    .option(
      '--lore-url <url>',
      'public-inbox for lore URL and Message-ID inputs (default: $KAPI_LORE_URL or lore.kernel.org)',
    )
    .option('--no-cache', 'parse every file again; read and write no cache')
    .option(
      '--cache-dir <dir>',
      'where parsed files are kept (default: $XDG_CACHE_HOME/kapi-review or ~/.cache/kapi-review)',
    );
  // the last of --colour, --color, --no-colour and --no-color on the command line wins
  let colourFlag: boolean | undefined;
  for (const [flag, on] of [
    ['colour', true],
    ['color', true],
    ['no-colour', false],
    ['no-color', false],
  ] as const)
    check.on(`option:${flag}`, () => {
      colourFlag = on;
    });
  check.action(async (inputs: string[], opts: CheckOptions) => {
    const tty = io === stdio && process.stdout.isTTY === true;
    const colour = useColour(colourFlag, process.env.NO_COLOR, tty);
    setCode(await checkCommand(inputs, { ...opts, colour }, io));
  });
  program
    .command('specs')
    .description('index KAPI specs (all forms) and SYSCALL_DEFINEs in C files or trees')
    .argument('<inputs...>', 'C files or folders (a whole kernel tree is fine)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (inputs: string[], opts: { format: string }) => {
      setCode(await specsCommand(inputs, opts, io.out));
    });
  program
    .command('framework')
    .description('show the KAPI framework a review would judge by, and where each part came from')
    .argument(
      '[inputs...]',
      'the series (.patch/.eml/.mbox files, folders, or - for stdin); none: the tree alone',
    )
    .option(
      '-t, --tree <dir>',
      'kernel tree the series applies to (its framework when the series carries none)',
    )
    .option('--all', 'list every macro, constant, key, sub-key and token with the file and line defining it')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (inputs: string[], opts: { format: string; tree?: string; all?: boolean }) => {
      setCode(await frameworkCommand(inputs, opts, io));
    });
}

/** spec-diff: what changed in each spec between two revisions (app/cli/spec-diff.ts). */
function addSpecDiffCommand(program: Command, io: CliIo, setCode: (code: number) => void): void {
  program
    .command('spec-diff')
    .description(
      'what changed in each spec between two revisions of a series (or two trees), one line per change',
    )
    .argument(
      '<old>',
      'the older revision: .patch/.eml/.mbox file, folder of them, lore URL or Message-ID, or a tree',
    )
    .argument('<new>', 'the newer revision, in any of the same kinds')
    .option(
      '-t, --tree <dir>',
      'kernel tree to apply each series on (default: the specs are read from the hunks)',
    )
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option(
      '--lore-url <url>',
      'public-inbox for lore URL and Message-ID inputs (default: $KAPI_LORE_URL or lore.kernel.org)',
    )
    .action(async (oldInput: string, newInput: string, opts: SpecDiffOptions) => {
      const { specDiffCommand } = await import('./spec-diff.js');
      setCode(await specDiffCommand(oldInput, newInput, opts, io));
    });
}

/** `audit`: every check on every spec of a tree as it stands (app/cli/audit.ts). */
function addAuditCommand(program: Command, io: CliIo, setCode: (code: number) => void): void {
  program
    .command('audit')
    .description('check every spec of a kernel tree (or of C files) as it stands: no patch needed')
    .argument('<inputs...>', 'a kernel tree (a folder, a git checkout) or C files')
    .addOption(
      new Option('-f, --format <format>', 'output format').choices(['text', 'json', 'sarif']).default('text'),
    )
    .option('--since <rev>', 'only files that changed since this git revision (git diff --name-only REV)')
    .option('--ignore <ids>', 'comma-separated check ids to silence')
    .option('-c, --config <file>', 'configuration file (default: ./.kapi-review.yml when present)')
    .addOption(
      new Option('--fail-on <level>', 'exit 1 when a finding at this level or above is reported')
        .choices(FAIL_LEVELS)
        .default('error'),
    )
    .action(async (inputs: string[], opts: AuditCliOptions) => {
      const { auditCommand } = await import('./audit.js');
      const tty = io === stdio && process.stdout.isTTY === true;
      setCode(
        await auditCommand(inputs, { ...opts, colour: useColour(undefined, process.env.NO_COLOR, tty) }, io),
      );
    });
}

/** The bot: its sources, its mail, its policy. */
function addBotCommand(program: Command, io: CliIo, setCode: (code: number) => void): void {
  program
    .command('bot')
    .description(
      'watch an IMAP folder or a lore list and answer patch series (dry-run unless --mode says otherwise)',
    )
    .option('--imap-host <host>', 'IMAP server (or --lore-url and --lore-list)')
    .option('--imap-port <port>', 'IMAP port (993: TLS from the start)', '993')
    .option('--imap-secure', 'TLS from the start (default: when the port is 993)')
    .option('--imap-user <user>', 'IMAP login')
    .option('--imap-pass-env <var>', 'environment variable holding the IMAP password')
    .option('--folder <folder>', 'IMAP folder to watch', 'INBOX')
    .option('--lore-url <url>', 'follow a list on this lore (public-inbox) instead of IMAP')
    .option('--lore-list <list>', 'the list (inbox name) to follow on --lore-url')
    .option('--poll <seconds>', 'how often the lore feed is polled', '300')
    .option('--smtp-host <host>', 'SMTP server', 'localhost')
    .option('--smtp-port <port>', 'SMTP port (465: TLS from the start)', '25')
    .addOption(
      new Option(
        '--smtp-tls <mode>',
        'TLS to the SMTP server (auto: STARTTLS when offered, required with a login)',
      )
        .choices(['auto', 'starttls', 'tls', 'none'])
        .default('auto'),
    )
    .option('--smtp-user <user>', 'SMTP login')
    .option('--smtp-pass-env <var>', 'environment variable holding the SMTP password')
    .option('--smtp-ca <file>', "PEM file of a CA to trust for the SMTP server's certificate")
    .option('--contact <addr>', "the contact address the bot's HTTP User-Agent names (default: --from)")
    .requiredOption('--from <addr>', "the bot's address (From of its mails, SMTP envelope sender)")
    .addOption(
      new Option('--mode <mode>', 'what happens to replies (nothing is sent in dry-run)')
        .choices(['dry-run', 'reflect', 'author-only', 'list'])
        .default('dry-run'),
    )
    .option(
      '--list <addr>',
      'a list the mode applies to; replies Cc the ones a series went to in list mode (repeatable)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--operator <addr>', 'where reflect mode sends')
    .option('-t, --tree <dir>', 'kernel tree to apply series on')
    .option('--no-cache', 'parse every file again; read and write no cache')
    .option('--cache-dir <dir>', 'where parsed files are kept (default: as check)')
    .option('--state <file>', 'state file (default: $XDG_STATE_HOME/kapi-review/state.db)')
    .option('--out <dir>', 'where dry-run writes .eml files (default: dry-run/ next to the state file)')
    .option('-c, --config <file>', 'configuration file (default: ./.kapi-review.yml when present)')
    .option('--incomplete-after <minutes>', 'how long an incomplete series waits for its patches', '60')
    .option('--stop-file <file>', 'while this file exists nothing is sent')
    .option(
      '--maintainer <addr>',
      'whose "kapi-review: ignore|mute" replies are obeyed besides the author (repeatable)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option(
      '--opt-out <addr>',
      'never mail this address or glob (repeatable)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--daily-cap <n>', 'at most this many mails in 24 hours, all lists together (default 50)')
    .option('--list-daily-cap <n>', 'at most this many mails in 24 hours to each --list')
    .option('--once', 'process what is in the folder (or one poll of the feed), then exit')
    .option('--digest-to <addr>', 'mail a weekly digest (what arrived, drifted, got fixed) to this address')
    .option(
      '--patchwork-url <url>',
      'post one check per reviewed patch to this patchwork instance (off by default)',
    )
    .option('--patchwork-project <name>', "the project's link name on --patchwork-url")
    .option(
      '--patchwork-token-env <var>',
      'environment variable holding the patchwork token (default PATCHWORK_TOKEN)',
    )
    .option(
      '--dashboard-url <url>',
      "the dashboard's address: patchwork checks link to the series' page there",
    )
    .action(async (opts: BotOptions) => {
      const { botCommand } = await import('./bot.js');
      setCode(await botCommand(opts, io));
    });
}

/** Posting one series' checks to patchwork. */
function addPatchworkCommand(program: Command, io: CliIo, setCode: (code: number) => void): void {
  program
    .command('patchwork-check')
    .description(
      'review one series and post one check per patch to patchwork (the token from $PATCHWORK_TOKEN)',
    )
    .argument('<inputs...>', '.patch/.eml/.mbox files, folders, - for stdin, or a lore URL or Message-ID')
    .requiredOption('--patchwork <url>', 'the patchwork instance, e.g. https://patchwork.kernel.org')
    .requiredOption('--project <name>', "the project's link name on the instance")
    .option('--token-env <var>', 'environment variable holding the API token', 'PATCHWORK_TOKEN')
    .option('--target-url <url>', 'the link each check carries (e.g. the series on the dashboard)')
    .option('-t, --tree <dir>', 'kernel tree to apply the series on')
    .option('-c, --config <file>', 'configuration file (default: ./.kapi-review.yml when present)')
    .option('--lore-url <url>', 'public-inbox for lore URL and Message-ID inputs')
    .option('--dry-run', 'say what would be posted; post nothing, need no token')
    .action(async (inputs: string[], opts: PatchworkCheckOptions) => {
      await checkTreeOption(opts.tree);
      const { patchworkCheckCommand } = await import('./patchwork.js');
      setCode(await patchworkCheckCommand(inputs, opts, io));
    });
}

/** The commands over the bot's store: dashboard, summary. */
function addDashboardCommands(program: Command, io: CliIo, setCode: (code: number) => void): void {
  program
    .command('dashboard')
    .description(
      "serve the maintainer dashboard over the bot's store (--port) or write it as a static site (--out)",
    )
    .option('--state <file>', 'the state file (default: $XDG_STATE_HOME/kapi-review/state.db)')
    .option('--port <n>', 'serve on this port (0: any free port)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--out <dir>', 'write a static site to this folder')
    .option('--specs <file>', 'spec index for the coverage page, from `kapi-review specs DIR --format json`')
    .option('-t, --tree <dir>', 'index this kernel tree for the coverage page')
    .option(
      '--lore-url <url>',
      'the public-inbox inbox mails link to (default: $KAPI_LORE_URL, else https://lore.kernel.org/all)',
    )
    .action(async (opts: DashboardCliOptions) => {
      const { dashboardCommand } = await import('./dashboard.js');
      setCode(await dashboardCommand(opts, io));
    });
  program
    .command('summary')
    .description('a maintainer digest over the store: what arrived, what drifted, what got fixed')
    .option('--state <file>', 'the state file (default: $XDG_STATE_HOME/kapi-review/state.db)')
    .option('--since <period>', 'the period: 7d, 24h, 2w, or a date', '7d')
    .addOption(
      new Option('-f, --format <format>', 'output format')
        .choices(['markdown', 'text', 'json'])
        .default('markdown'),
    )
    .action(async (opts: SummaryCliOptions) => {
      const { summaryCommand } = await import('./dashboard.js');
      setCode(await summaryCommand(opts, io));
    });
}

/** draft: a spec drafted from a syscall's code. */
function addDraftCommand(program: Command, io: CliIo, setCode: (code: number) => void): void {
  program
    .command('draft')
    .description("draft a KAPI spec from a syscall's code, in a form the tree's framework reads")
    .argument('<syscall>', 'the syscall: sys_mlockall, mlockall, compat_sys_...')
    .requiredOption('-t, --tree <dir>', 'the kernel tree that defines it')
    .addOption(
      new Option(
        '--form <form>',
        "the spec form (default: the newest the tree's framework reads; kerneldoc: its newest kerneldoc form)",
      ).choices(DRAFT_FORMS),
    )
    .option('--file <path>', 'the file of the tree that defines it, when several do')
    .action(async (syscall: string, opts: DraftCliOptions) => {
      const { draftCommand } = await import('./draft.js');
      setCode(await draftCommand(syscall, opts, io));
    });
}

export async function main(argv: string[], io: CliIo = stdio): Promise<number> {
  let code = 0;
  const program = new Command('kapi-review')
    .description('Review Linux kernel patches for KAPI specification drift')
    .version(version())
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  const setCode = (c: number): void => {
    code = c;
  };
  addReviewCommands(program, io, setCode);
  addSpecDiffCommand(program, io, setCode);
  addAuditCommand(program, io, setCode);
  addBotCommand(program, io, setCode);
  addPatchworkCommand(program, io, setCode);
  addDashboardCommands(program, io, setCode);
  addDraftCommand(program, io, setCode);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof UsageError || e instanceof FileError) {
      io.err(`kapi-review: ${e.message}\n`);
      return 2;
    }
    // any other filesystem error is about an input or a file named on the command line
    if (isFsError(e)) {
      io.err(`kapi-review: ${fsErrorText(e)}\n`);
      return 2;
    }
    throw e;
  }
  return code;
}
