/**
 * The finding model every check reports in (the core types of docs/architecture.md), and what a check sees: one
 * file of one patch's post-image, with its specs, its C facts and the lines the patch added.
 */
import type { CFacts, SyscallDef } from '../parsers/c/model.js';
import type { Framework } from '../parsers/kapi/framework.js';
import type { ApiSpec } from '../parsers/kapi/model.js';
import type { Issue } from '../parsers/types.js';
import type { OptionsSchema, OptionsSpec } from './define.js';

/** The severities, most severe first: the one list the config, the store and the pages read. */
export const SEVERITIES = ['error', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** A place in the post-image of a file, and the patch mail that introduced it. */
export interface Location {
  path: string;
  line: number;
  endLine?: number;
  messageId?: string;
}

export interface Evidence {
  path: string;
  line: number;
  text: string;
  /**
   * What the line is: part of the spec, of the code, or of the KAPI framework the spec is judged
   * by (a kbuild rule, a header). Text output labels the line with it (`spec:`, `code:`,
   * `framework:`; `evidence:` without one); JSON and SARIF leave it out, their evidence being
   * the location and the text only.
   */
  kind?: 'spec' | 'code' | 'framework';
}

export interface Finding {
  /** The check id, equal to its file name in checks/rules/, e.g. 'kapi-error-undocumented'. */
  check: string;
  severity: Severity;
  message: string;
  at: Location;
  /** The spec concerned, e.g. 'sys_munlockall'. */
  spec?: string;
  /** What in the spec: 'EINVAL', 'param:len', 'lock[0].description'. */
  subject?: string;
  /** The spec line and the code chain that prove the finding. */
  evidence: Evidence[];
  /** The line to add, in the spec's own form. */
  suggestion?: string;
  /** hash(check, spec, subject): stable across revisions and line moves. */
  fingerprint: string;
}

/** One file as a check sees it: the post-image after the patch under review. */
export interface FileUnit {
  path: string;
  /** 'full': the whole post-image is known; 'hunks': only the lines the hunks show. */
  mode: 'full' | 'hunks';
  /** Post-image lines by 1-based number; undefined where unknown (hunks mode) or out of range. */
  line(n: number): string | undefined;
  /** Specs in the post-image (in hunks mode: those the hunks show; cut-off ones are partial). */
  specs: ApiSpec[];
  /** The spec parsers' issues, with post-image lines. */
  specIssues: Issue[];
  /** SYSCALL_DEFINEs (in hunks mode: those the hunks show, params only). */
  syscalls: SyscallDef[];
  /** The spec that documents each syscall (same order as `syscalls`), or null. */
  specOf: (ApiSpec | null)[];
  /** Syscall specs followed by a syscall of another name, and syscall specs with none after them. */
  misnamed: { spec: ApiSpec; next: SyscallDef }[];
  orphans: ApiSpec[];
  /** Facts about the code: only in full mode, for C files, and only as far as tree-sitter understood. */
  code: CFacts | null;
  /** Post-image lines the patch under review added. */
  added: ReadonlySet<number>;
  /** Post-image line ranges of the patch's hunks, inclusive. */
  hunks: readonly { start: number; end: number }[];
}

/**
 * What a check hands to `report`; the runner adds the check id, location and fingerprint. `Id` is
 * the keys of the check's `meta.messages` (defineCheck narrows it from the messages it is given).
 */
export interface Report<Id extends string = string> {
  /** A key of the check's `meta.messages`. */
  messageId: Id;
  /** Values for `{name}` placeholders in the message template. */
  data?: Record<string, string | number>;
  /** Post-image line the finding is about (a spec line or a code line). */
  line: number;
  endLine?: number;
  /** Overrides the check's default severity for this finding (e.g. error on an added line). */
  severity?: Severity;
  spec?: string;
  subject?: string;
  evidence: Evidence[];
  suggestion?: string;
}

/**
 * What a check's `run` is given. A check made with defineCheck sees its own message ids and its
 * options as its schema gives them (checks/define.ts); `Check.run` itself takes them untyped.
 */
export interface CheckContext<Id extends string = string, Options = Readonly<Record<string, unknown>>> {
  unit: FileUnit;
  /**
   * The KAPI framework the series is judged by: the one it carries, else the tree's, else the
   * latest known posting's (app/framework/resolve.ts).
   */
  framework: Framework;
  /** The check's options from the configuration (defaults applied by defineCheck's schema). */
  options: Options;
  /**
   * A property, not a method, so that the parameter is checked strictly: a helper typed for one
   * check's message ids cannot be handed a context that reports another's.
   */
  report: (r: Report<Id>) => void;
}

export interface CheckMeta {
  /** Equal to the file name in checks/rules/ and to the key in the registry. */
  id: string;
  description: string;
  severity: Severity;
  /** Message templates with `{name}` placeholders. */
  messages: Readonly<Record<string, string>>;
  /** For operators only: never mailed to a list or posted on a pull request. */
  operatorOnly?: boolean;
}

export interface Check {
  meta: CheckMeta;
  /**
   * The check's options (defineCheck's `options`): their zod schema, made when asked, which the
   * config loader holds configured options to, and their defaults. None: the check takes none.
   */
  options?: OptionsSpec<OptionsSchema>;
  /** Pure: reads ctx.unit, calls ctx.report; no I/O. May throw only on its own bugs. */
  run(ctx: CheckContext): void;
}
