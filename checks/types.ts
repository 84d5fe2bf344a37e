/**
 * The finding model every check reports in (DESIGN.md, "Core types"). The checks themselves and
 * their runner arrive with the checks issue; these types are what reporters and stores build on.
 */
export type Severity = 'error' | 'warning' | 'info';

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
}

export interface Finding {
  /** The check id, equal to its file name in checks/, e.g. 'kapi-error-undocumented'. */
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
