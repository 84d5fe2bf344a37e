/**
 * Whether `check` colours its output. An explicit flag wins (`--colour`/`--color` on,
 * `--no-colour`/`--no-color` off, the last one given); otherwise NO_COLOR, when present and not
 * empty, turns colour off (https://no-color.org); otherwise colour follows whether stdout is a
 * terminal.
 */
export function useColour(flag: boolean | undefined, noColor: string | undefined, tty: boolean): boolean {
  if (flag !== undefined) return flag;
  if (noColor !== undefined && noColor !== '') return false;
  return tty;
}
