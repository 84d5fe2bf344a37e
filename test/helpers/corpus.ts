import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** ../shared/corpus beside the project, or KAPI_CORPUS. Real mails, read only by the corpus suite. */
export const corpusDir =
  process.env.KAPI_CORPUS ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus');
export const corpusPresent = existsSync(corpusDir);

if (!corpusPresent)
  console.warn(
    `corpus suite: ${corpusDir} is absent; every corpus test is SKIPPED (set KAPI_CORPUS to point at it)`,
  );

export interface CorpusFile {
  /** folder/name, e.g. rfc-v2/rfc-v2-11-mlock2.patch.txt */
  name: string;
  path: string;
  bytes: Buffer;
}

export function corpusFiles(folder?: string): CorpusFile[] {
  if (!corpusPresent) return [];
  const folders = folder ? [folder] : readdirSync(corpusDir).sort();
  return folders.flatMap((f) =>
    readdirSync(join(corpusDir, f))
      .sort()
      .map((n) => ({
        name: `${f}/${n}`,
        path: join(corpusDir, f, n),
        bytes: readFileSync(join(corpusDir, f, n)),
      })),
  );
}
