import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The project's root, from test/meta/. */
export const root = join(import.meta.dirname, '..', '..');

/** Every file under `dir` (absolute) whose name `keep` accepts (default: .ts); none if it is absent. */
export function sourceFiles(
  dir: string,
  keep: (name: string) => boolean = (n) => n.endsWith('.ts'),
): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const name of names) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p, keep));
    else if (keep(name)) out.push(p);
  }
  return out;
}
