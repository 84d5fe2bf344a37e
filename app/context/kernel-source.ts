/**
 * The real kernel tree used by the corpus suite and bench/: Debian's linux-source-6.12 package,
 * which ships the source as /usr/src/linux-source-6.12.tar.xz. It is extracted once into a cache
 * folder (KAPI_KERNEL_CACHE, default /var/tmp/kapi-review) and reused; KAPI_KERNEL_TREE points at
 * an already extracted tree instead.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const KERNEL_TARBALL = '/usr/src/linux-source-6.12.tar.xz';
const KERNEL_DIRNAME = 'linux-source-6.12';
export const INSTALL_HINT =
  'apt-get install linux-source-6.12 (Debian 12 bookworm; provides /usr/src/linux-source-6.12.tar.xz)';

export function kernelTarballPresent(): boolean {
  return existsSync(KERNEL_TARBALL);
}

/** The extracted tree, extracting it first when needed; null (with the reason) when impossible. */
export async function kernelTree(): Promise<{ dir: string | null; reason: string | null }> {
  const given = process.env.KAPI_KERNEL_TREE;
  if (given)
    return existsSync(join(given, 'Makefile'))
      ? { dir: given, reason: null }
      : { dir: null, reason: `KAPI_KERNEL_TREE=${given} has no Makefile` };
  const cache = process.env.KAPI_KERNEL_CACHE ?? '/var/tmp/kapi-review';
  const dir = join(cache, KERNEL_DIRNAME);
  if (existsSync(join(dir, '.extracted'))) return { dir, reason: null };
  if (!kernelTarballPresent()) return { dir: null, reason: `${KERNEL_TARBALL} is absent: ${INSTALL_HINT}` };
  mkdirSync(cache, { recursive: true });
  const tmp = join(cache, `.extract-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  await run('tar', ['-xJf', KERNEL_TARBALL, '-C', tmp], { maxBuffer: 64 * 1024 * 1024 });
  rmSync(dir, { recursive: true, force: true });
  renameSync(join(tmp, KERNEL_DIRNAME), dir);
  rmSync(tmp, { recursive: true, force: true });
  await run('touch', [join(dir, '.extracted')]);
  return { dir, reason: null };
}

/** One file of the tree without extracting all of it (for tests that need a single file). */
export async function kernelFile(path: string): Promise<string | null> {
  const tree = await kernelTreeIfExtracted();
  if (tree) {
    const { readFile } = await import('node:fs/promises');
    try {
      return await readFile(join(tree, path), 'utf8');
    } catch {
      return null;
    }
  }
  if (!kernelTarballPresent()) return null;
  try {
    const { stdout } = await run('tar', ['-xJOf', KERNEL_TARBALL, `${KERNEL_DIRNAME}/${path}`], {
      maxBuffer: 64 * 1024 * 1024,
      encoding: 'utf8',
    });
    return stdout;
  } catch {
    return null;
  }
}

function kernelTreeIfExtracted(): string | null {
  const given = process.env.KAPI_KERNEL_TREE;
  if (given && existsSync(join(given, 'Makefile'))) return given;
  const dir = join(process.env.KAPI_KERNEL_CACHE ?? '/var/tmp/kapi-review', KERNEL_DIRNAME);
  return existsSync(join(dir, '.extracted')) ? dir : null;
}
