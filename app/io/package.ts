/** What the package says of itself: its version, for `--version`, reports and the User-Agent. */
import { readFileSync } from 'node:fs';

let cached: string | null = null;

/** The package version; package.json sits two levels up in the sources and three in dist/. */
export function packageVersion(): string {
  cached ??= readVersion();
  return cached;
}

function readVersion(): string {
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
