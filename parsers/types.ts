/**
 * Shared result types for every parser. Parsers never throw on input: what they could not
 * understand is reported as an Issue next to the best value they could build.
 */
export type IssueSeverity = 'error' | 'warning' | 'info';

export interface Issue {
  /** Stable machine-readable code, e.g. 'mail-missing-message-id'. */
  code: string;
  severity: IssueSeverity;
  message: string;
  /** 1-based line in the input the parser was given, when known. */
  line?: number;
  /**
   * What the issue is about, for a reader that judges it further: a macro called with the wrong
   * number of arguments carries `{ macro, args }` (args: -1 for none, not even parentheses).
   */
  data?: Readonly<Record<string, string | number>>;
}

export interface Parsed<T> {
  value: T;
  issues: Issue[];
}

export function issue(code: string, severity: IssueSeverity, message: string, line?: number): Issue {
  return line === undefined ? { code, severity, message } : { code, severity, message, line };
}
