/**
 * Reading files that come from the command line or a kernel tree, and nothing else: regular files
 * only. A FIFO would block the review forever, a device such as /dev/zero never ends (and reports
 * size 0), so anything that is not a regular file is refused before it is opened, by `stat`, and
 * checked again on the open descriptor (opened non-blocking, so even a file swapped for a FIFO in
 * between cannot hang). Filesystem errors become `FileError`s with a one-line reason.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';

/** A file that cannot or may not be read; the message names it and says why, in one line. */
export class FileError extends Error {
  constructor(
    message: string,
    readonly path: string,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ELOOP: 'too many levels of symbolic links',
  ENOTDIR: 'a component of the path is not a directory',
  ENAMETOOLONG: 'file name too long',
  EISDIR: 'is a directory',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EIO: 'input/output error',
  ENXIO: 'no such device or address',
  ENODEV: 'no such device',
  EAGAIN: 'resource temporarily unavailable',
  EBUSY: 'device or resource busy',
  EOVERFLOW: 'value too large',
  ESTALE: 'stale file handle',
};

/** A Node filesystem error (it has an E... code and names a system call). */
export function isFsError(e: unknown): e is NodeJS.ErrnoException {
  const err = e as NodeJS.ErrnoException | null;
  return (
    e instanceof Error &&
    typeof err?.code === 'string' &&
    /^E[A-Z0-9]+$/.test(err.code) &&
    (typeof err.syscall === 'string' || typeof err.errno === 'number')
  );
}

/** `cannot read PATH: CODE (reason)`. */
export function fsErrorText(e: NodeJS.ErrnoException, path?: string): string {
  const code = e.code ?? 'error';
  const reason = REASONS[code];
  return `cannot read ${path ?? e.path ?? 'input'}: ${code}${reason ? ` (${reason})` : ''}`;
}

export function toFileError(e: unknown, path: string): unknown {
  if (e instanceof FileError || !isFsError(e)) return e;
  return new FileError(fsErrorText(e, path), path, e.code ?? null);
}

/** What a non-regular file is, for a message. */
function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

export function notRegular(path: string, st: Stats, what = 'file'): FileError {
  return new FileError(`${path} is ${fileKind(st)}, not a regular ${what}; refusing to read it`, path);
}

/** stat(path), filesystem errors as FileError. */
export async function statFile(path: string): Promise<Stats> {
  try {
    return await stat(path);
  } catch (e) {
    throw toFileError(e, path);
  }
}

/**
 * Opens a regular file for reading: refused when stat says it is anything else, opened
 * non-blocking and checked again on the descriptor. `st` is the stat the caller already has.
 */
export async function openRegular(path: string, st?: Stats): Promise<{ fh: FileHandle; size: number }> {
  const before = st ?? (await statFile(path));
  if (!before.isFile()) throw notRegular(path, before);
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    throw toFileError(e, path);
  }
  try {
    const now = await fh.stat();
    if (!now.isFile()) throw notRegular(path, now);
    return { fh, size: now.size };
  } catch (e) {
    await fh.close();
    throw toFileError(e, path);
  }
}

const MIN_CHUNK = 64 * 1024;
/** Big files stream in chunks of this size: larger ones left more memory behind (measured). */
const MAX_CHUNK = 256 * 1024;

/**
 * A regular file of at most MAX_CHUNK bytes (by stat, and again on the descriptor), read whole
 * and at once, with the same refusals as openRegular; null for a larger one. Reading it through
 * the event loop took six round trips to the thread pool (stat, open, fstat, two reads, close):
 * a tenth of a millisecond each, waited on by a process with nothing else to do, for each of the
 * patch files b4 or a folder of a series hands `check`.
 */
function smallRegularFile(path: string, st?: Stats): Buffer | null {
  let before: Stats;
  try {
    before = st ?? statSync(path);
  } catch (e) {
    throw toFileError(e, path);
  }
  if (!before.isFile()) throw notRegular(path, before);
  if (before.size > MAX_CHUNK) return null;
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    throw toFileError(e, path);
  }
  try {
    const now = fstatSync(fd);
    if (!now.isFile()) throw notRegular(path, now);
    if (now.size > MAX_CHUNK) return null;
    // until the end, whatever size stat reported (files under /proc report 0)
    const parts: Buffer[] = [];
    let want = Math.max(MIN_CHUNK, now.size + 1);
    for (;;) {
      const buf = Buffer.allocUnsafe(want);
      const n = readSync(fd, buf, 0, want, null);
      if (n === 0) break;
      parts.push(n === want ? buf : buf.subarray(0, n));
      want = MAX_CHUNK;
    }
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  } catch (e) {
    throw toFileError(e, path);
  } finally {
    closeSync(fd);
  }
}

/**
 * The bytes of a regular file as chunks, read until the end whatever size stat reported (files
 * under /proc report 0). Each chunk is a fresh buffer: the mbox splitter keeps slices of them.
 */
export async function* regularFileChunks(path: string, st?: Stats): AsyncGenerator<Buffer> {
  const whole = smallRegularFile(path, st);
  if (whole !== null) {
    if (whole.length > 0) yield whole;
    return;
  }
  const { fh, size } = await openRegular(path, st);
  try {
    // a small file in one read (plus the one that finds its end)
    let want = Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, size + 1));
    for (;;) {
      const buf = Buffer.allocUnsafe(want);
      let n: number;
      try {
        n = (await fh.read(buf, 0, want, null)).bytesRead;
      } catch (e) {
        throw toFileError(e, path);
      }
      if (n === 0) return;
      yield n === want ? buf : buf.subarray(0, n);
      want = MAX_CHUNK;
    }
  } finally {
    await fh.close();
  }
}

/** A whole regular file as UTF-8 text. */
export async function readRegularFile(path: string, st?: Stats): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of regularFileChunks(path, st)) parts.push(c);
  return Buffer.concat(parts).toString('utf8');
}
