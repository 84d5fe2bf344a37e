/**
 * Just enough MIME to get a patch out of a mail byte-exact: header splitting and unfolding,
 * Content-Type parameters, transfer decoding (base64, quoted-printable) and charset decoding.
 *
 * Bodies are decoded exactly as sent: no format=flowed reflow and no normalisation beyond CRLF ->
 * LF, since either would corrupt a patch. Address lists and encoded words are in headers.ts.
 */
import { isAscii } from 'node:buffer';
import { type Issue, issue } from './types.js';

export interface RawHeader {
  /** Lower-case header name. */
  name: string;
  /** Unfolded value, CR/LF of the folding removed, leading whitespace trimmed. */
  value: string;
  /** 1-based line of the header in the message. */
  line: number;
}

export interface HeaderBlock {
  headers: RawHeader[];
  /** Byte offset where the body starts (after the blank line), or the input length. */
  bodyOffset: number;
  /** Number of lines the header block and its blank line occupy. */
  headerLines: number;
}

const LF = 10;
const CR = 13;
const LF_LF = Buffer.from('\n\n', 'latin1');

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

/**
 * Decodes header bytes buf[start, end): UTF-8 when valid (raw 8-bit headers are common),
 * otherwise Latin-1. ASCII, by far the most common, is read without a decoder.
 */
function decodeHeaderBytes(buf: Buffer, start: number, end: number): string {
  for (let i = start; i < end; i++) {
    if ((buf[i] as number) >= 0x80) {
      const bytes = buf.subarray(start, end);
      try {
        return utf8Fatal.decode(bytes);
      } catch {
        return latin1.decode(bytes);
      }
    }
  }
  return buf.toString('latin1', start, end);
}

/** A set of header field names (lower case) and the lengths they have, for splitHeaders. */
export interface HeaderNames {
  names: ReadonlySet<string>;
  lengths: ReadonlySet<number>;
}

export function headerNames(names: readonly string[]): HeaderNames {
  return { names: new Set(names), lengths: new Set(names.map((n) => n.length)) };
}

/** The fields collectTextParts reads. */
export const MIME_HEADERS = headerNames(['content-type', 'content-transfer-encoding', 'content-disposition']);

/**
 * Splits the header block from the body. A line that is neither a header field nor a folded
 * continuation ends the header block (and is reported): RFC 5322 has no other way to recover.
 * With `only`, the block ends where it would and the same issues are reported, but only the
 * named fields are kept (a MIME walk alone needs three of some sixty).
 */
export function splitHeaders(raw: Uint8Array, issues: Issue[], only: HeaderNames | null = null): HeaderBlock {
  const headers: RawHeader[] = [];
  let pos = 0;
  let lineNo = 0;
  let current: RawHeader | null = null;
  /** The field being read is one `only` leaves out: its continuation lines are skipped too. */
  let skipping = false;
  let fields = 0;
  const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  // Mail headers are nearly always ASCII: then the lines up to the first blank one are decoded in
  // one go and each field is a slice of that text (making a string per line costs more). The
  // text is the same either way; for a few fields decoding each costs less.
  const blank = only ? 0 : buf.indexOf(LF_LF);
  const asciiEnd = only ? 0 : blank === -1 ? buf.length : blank + 2;
  const ascii = !only && isAscii(buf.subarray(0, asciiEnd)) ? buf.toString('latin1', 0, asciiEnd) : null;
  const text = (start: number, end: number): string =>
    ascii !== null && end <= asciiEnd ? ascii.slice(start, end) : decodeHeaderBytes(buf, start, end);
  while (pos < buf.length) {
    let end = buf.indexOf(LF, pos);
    const next = end === -1 ? buf.length : end + 1;
    if (end === -1) end = buf.length;
    let contentEnd = end;
    if (contentEnd > pos && buf[contentEnd - 1] === CR) contentEnd--;
    lineNo++;
    if (contentEnd === pos) {
      // the blank line that ends the header block
      return { headers, bodyOffset: next, headerLines: lineNo };
    }
    const first = buf[pos] as number;
    if ((first === 32 || first === 9) && (current || skipping)) {
      if (current) current.value += ` ${text(pos, contentEnd).trim()}`;
    } else {
      // a field name: printable ASCII but ':' (and at least one), then ':'
      let colon = pos;
      while (colon < contentEnd) {
        const c = buf[colon] as number;
        if (c === 58 /* : */ || c < 0x21 || c > 0x7e) break;
        colon++;
      }
      if (colon === pos || colon === contentEnd || buf[colon] !== 58) {
        if (lineNo === 1 && contentEnd - pos >= 5 && buf.toString('latin1', pos, pos + 5) === 'From ') {
          // an mbox From_ line left on a single message: not a header, not the body either
          pos = next;
          continue;
        }
        issues.push(
          issue(
            'mail-malformed-header',
            'warning',
            `line ${lineNo} is not a header field; the body starts there`,
            lineNo,
          ),
        );
        return { headers, bodyOffset: pos, headerLines: lineNo - 1 };
      }
      fields++;
      const name = only && !only.lengths.has(colon - pos) ? '' : text(pos, colon).toLowerCase();
      if (only && !only.names.has(name)) {
        current = null;
        skipping = true;
      } else {
        current = { name, value: text(colon + 1, contentEnd).trim(), line: lineNo };
        headers.push(current);
      }
    }
    pos = next;
  }
  if (fields > 0) issues.push(issue('mail-no-body', 'warning', 'the message ends inside its header block'));
  return { headers, bodyOffset: buf.length, headerLines: lineNo };
}

export function headerValue(headers: RawHeader[], name: string): string | null {
  for (const h of headers) if (h.name === name) return h.value;
  return null;
}

export interface ContentType {
  type: string; // 'text/plain'
  params: Record<string, string>;
}

/** Parses `text/plain; charset="utf-8"; format=flowed`. Parameter names are lower-cased. */
export function parseContentType(value: string | null): ContentType {
  if (!value) return { type: 'text/plain', params: {} };
  const parts = splitParams(value);
  const type = (parts.shift() ?? '').trim().toLowerCase() || 'text/plain';
  const params: Record<string, string> = {};
  for (const p of parts) {
    const eq = p.indexOf('=');
    if (eq <= 0) continue;
    const key = p.slice(0, eq).trim().toLowerCase();
    let val = p.slice(eq + 1).trim();
    if (val.startsWith('"') && val.endsWith('"') && val.length >= 2)
      val = val.slice(1, -1).replace(/\\(.)/g, '$1');
    params[key] = val;
  }
  return { type, params };
}

/** Splits on the semicolons outside double quotes (a quote after a backslash does not count). */
function splitParams(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = value.indexOf(';') === -1 ? value.length : 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x22 /* " */ && value.charCodeAt(i - 1) !== 0x5c /* \\ */) quoted = !quoted;
    else if (c === 0x3b /* ; */ && !quoted) {
      out.push(value.slice(start, i));
      start = i + 1;
    }
  }
  out.push(value.slice(start));
  return out;
}

function decodeQuotedPrintable(input: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(input.length);
  let o = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input[i] as number;
    if (c !== 61 /* = */) {
      out[o++] = c;
      continue;
    }
    const a = input[i + 1];
    const b = input[i + 2];
    if (a === LF) {
      i += 1; // soft line break
    } else if (a === CR && b === LF) {
      i += 2;
    } else if (a !== undefined && b !== undefined && isHex(a) && isHex(b)) {
      out[o++] = (hexVal(a) << 4) | hexVal(b);
      i += 2;
    } else {
      out[o++] = c; // a stray '=' is kept as is, as most decoders do
    }
  }
  return out.subarray(0, o);
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}
function hexVal(c: number): number {
  if (c <= 57) return c - 48;
  if (c <= 70) return c - 55;
  return c - 87;
}

function decodeTransfer(body: Uint8Array, encoding: string | null, issues: Issue[]): Buffer {
  const enc = (encoding ?? '7bit').trim().toLowerCase();
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  switch (enc) {
    case '7bit':
    case '8bit':
    case 'binary':
    case '':
      return buf;
    case 'base64': {
      const text = buf.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, '');
      if (text.length % 4 === 1)
        issues.push(issue('mail-bad-base64', 'warning', 'base64 body has a truncated final group'));
      return Buffer.from(text, 'base64');
    }
    case 'quoted-printable':
      return decodeQuotedPrintable(buf);
    default:
      issues.push(
        issue(
          'mail-unknown-encoding',
          'warning',
          `unknown Content-Transfer-Encoding "${enc}"; body read as is`,
        ),
      );
      return buf;
  }
}

/** Charset decoding with TextDecoder (full ICU in Node 20); never throws. */
function decodeCharset(bytes: Uint8Array, charset: string | undefined, issues: Issue[]): string {
  const label = (charset ?? '').trim().toLowerCase();
  if (!label || label === 'us-ascii' || label === 'ascii' || label === 'utf-8' || label === 'utf8') {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      if (label === 'utf-8' || label === 'utf8') {
        issues.push(
          issue('mail-invalid-bytes', 'warning', 'body is declared UTF-8 but has invalid UTF-8 bytes'),
        );
        return new TextDecoder('utf-8').decode(bytes);
      }
      // undeclared or mis-declared 8-bit text: Latin-1 loses no byte
      issues.push(
        issue(
          'mail-undeclared-8bit',
          'info',
          `8-bit body without a usable charset ("${label || 'none'}"); read as Latin-1`,
        ),
      );
      return new TextDecoder('latin1').decode(bytes);
    }
  }
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(label, { fatal: true });
  } catch {
    issues.push(issue('mail-unknown-charset', 'warning', `unknown charset "${label}"; body read as Latin-1`));
    return new TextDecoder('latin1').decode(bytes);
  }
  try {
    return decoder.decode(bytes);
  } catch {
    issues.push(issue('mail-invalid-bytes', 'warning', `body has bytes that are invalid in ${label}`));
    return new TextDecoder(label).decode(bytes);
  }
}

export interface MimePart {
  contentType: ContentType;
  disposition: string | null;
  filename: string | null;
  /** Decoded text with CRLF normalised to LF. */
  text: string;
}

const MAX_DEPTH = 10;

/**
 * Walks a MIME entity and returns its leaf text parts in order. Non-text leaves are skipped
 * (but reported when they look like patches sent as application/octet-stream).
 */
export function collectTextParts(
  headers: RawHeader[],
  body: Uint8Array,
  issues: Issue[],
  depth = 0,
): MimePart[] {
  const ct = parseContentType(headerValue(headers, 'content-type'));
  const dispValue = headerValue(headers, 'content-disposition');
  const disposition = dispValue ? (dispValue.split(';')[0] ?? '').trim().toLowerCase() : null;
  const filename =
    (dispValue === null ? undefined : parseContentType(`x/x; ${dispValue}`).params.filename) ??
    ct.params.name ??
    null;
  if (ct.type.startsWith('multipart/')) {
    const boundary = ct.params.boundary;
    if (!boundary) {
      issues.push(issue('mail-broken-mime', 'warning', `${ct.type} without a boundary; read as plain text`));
      return [leaf({ type: 'text/plain', params: ct.params }, null, null, headers, body, issues)];
    }
    if (depth >= MAX_DEPTH) {
      issues.push(issue('mail-broken-mime', 'warning', 'MIME nesting too deep; inner parts skipped'));
      return [];
    }
    const parts: MimePart[] = [];
    for (const p of splitMultipart(body, boundary, issues)) {
      const inner: Issue[] = [];
      const block = splitHeaders(p, inner, MIME_HEADERS);
      issues.push(...inner.filter((i) => i.code !== 'mail-no-body'));
      parts.push(...collectTextParts(block.headers, p.subarray(block.bodyOffset), issues, depth + 1));
    }
    return parts;
  }
  if (ct.type === 'message/rfc822') {
    if (depth >= MAX_DEPTH) return [];
    const inner: Issue[] = [];
    const block = splitHeaders(body, inner, MIME_HEADERS);
    return collectTextParts(block.headers, body.subarray(block.bodyOffset), issues, depth + 1);
  }
  const isText = ct.type.startsWith('text/');
  const looksLikePatch = filename !== null && /\.(patch|diff)$/i.test(filename);
  if (!isText && !looksLikePatch) return [];
  return [leaf(ct, disposition, filename, headers, body, issues)];
}

function leaf(
  ct: ContentType,
  disposition: string | null,
  filename: string | null,
  headers: RawHeader[],
  body: Uint8Array,
  issues: Issue[],
): MimePart {
  const bytes = decodeTransfer(body, headerValue(headers, 'content-transfer-encoding'), issues);
  let text = decodeCharset(bytes, ct.params.charset, issues);
  if (text.includes('\r')) text = text.replace(/\r\n/g, '\n');
  return { contentType: ct, disposition, filename, text };
}

/** Splits a multipart body on `--boundary` lines; the preamble and epilogue are dropped. */
function splitMultipart(body: Uint8Array, boundary: string, issues: Issue[]): Buffer[] {
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const delim = Buffer.from(`--${boundary}`, 'latin1');
  const parts: Buffer[] = [];
  let start = -1;
  let pos = 0;
  let closed = false;
  while (pos <= buf.length) {
    const at = buf.indexOf(delim, pos);
    if (at === -1) break;
    const atLineStart = at === 0 || buf[at - 1] === LF;
    let after = at + delim.length;
    if (!atLineStart) {
      pos = after;
      continue;
    }
    const isClose = buf[after] === 45 && buf[after + 1] === 45; // '--'
    if (isClose) after += 2;
    // the rest of the boundary line is transport padding
    let eol = buf.indexOf(LF, after);
    if (eol === -1) eol = buf.length - 1;
    if (start >= 0) {
      // the CRLF before the delimiter belongs to the delimiter
      let end = at;
      if (end > start && buf[end - 1] === LF) end--;
      if (end > start && buf[end - 1] === CR) end--;
      parts.push(buf.subarray(start, end));
    }
    start = eol + 1;
    pos = eol + 1;
    if (isClose) {
      closed = true;
      break;
    }
  }
  if (!closed) {
    issues.push(
      issue('mail-broken-mime', 'warning', `multipart body has no closing boundary "--${boundary}--"`),
    );
    if (start >= 0 && start < buf.length) parts.push(buf.subarray(start));
  }
  if (parts.length === 0 && start < 0)
    issues.push(issue('mail-broken-mime', 'warning', `boundary "${boundary}" never occurs in the body`));
  return parts;
}
