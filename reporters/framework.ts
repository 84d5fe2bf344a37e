/**
 * Renders the KAPI framework a review would use (`kapi-review framework`): which one, where each
 * part came from, and what it defines, so a maintainer can see why a word is unknown. Pure.
 */
import { type FactSource, type Framework, formsOf, newestForm } from '../parsers/kapi/framework.js';
import { sanitize } from '../parsers/text/controls.js';

export interface FrameworkView {
  /** What the framework was chosen for: a series title, or the tree. */
  subject: string;
  framework: Framework;
  /** Why this framework (the note the review prints). */
  note: string;
}

const where = (s: FactSource): string => `${s.path}:${s.line}${s.from ? ` (${s.from})` : ''}`;

function sorted<T>(table: Record<string, T>): [string, T][] {
  return Object.entries(table).sort((a, b) => a[0].localeCompare(b[0]));
}

/** The JSON contract of `kapi-review framework --format json`. */
export function frameworksToJson(views: readonly FrameworkView[]): unknown {
  return {
    version: 1,
    frameworks: views.map((v) => ({
      subject: v.subject,
      note: v.note,
      forms: formsOf(v.framework),
      newestForm: newestForm(v.framework),
      ...v.framework,
    })),
  };
}

export function renderFrameworkText(views: readonly FrameworkView[], opts: { all?: boolean } = {}): string {
  const out: string[] = [];
  for (const v of views) {
    const fw = v.framework;
    out.push(`${sanitize(v.subject, 'terminal')}: ${fw.name} (${fw.origin})`);
    out.push(`  ${sanitize(v.note, 'terminal')}`);
    out.push(`  files: ${fw.files.length === 0 ? '-' : fw.files.join(', ')}`);
    const forms = formsOf(fw);
    out.push(
      `  spec forms it reads: ${forms.length === 0 ? '-' : forms.join(', ')}; newest: ${newestForm(fw) ?? '-'}`,
    );
    const macros = sorted(fw.macros);
    const constants = sorted(fw.constants);
    out.push(
      `  headers: ${fw.header ?? '-'}: ${macros.length} macros, ${constants.length} enum constants` +
        (fw.header
          ? `; *_END macros: ${macros.some(([m]) => /_END$|^KAPI_END_SPEC$/.test(m)) ? 'yes' : 'no'}`
          : ''),
    );
    if (opts.all) {
      for (const [m, s] of macros) out.push(`    ${m}${s.arity === null ? '' : `/${s.arity}`}  ${where(s)}`);
      for (const [c, s] of constants) out.push(`    ${c} [${s.group ?? '#define'}]  ${where(s)}`);
    }
    const kd = fw.kerneldoc;
    if (kd) {
      out.push(`  kerneldoc: parser ${kd.parser ?? '-'}, generator ${kd.generator ?? '-'}`);
      const keys = sorted(kd.keys).map(([k]) => k);
      const prefixes = sorted(kd.keyPrefixes).map(([k]) => `${k}*`);
      out.push(`    keys (${keys.length + prefixes.length}): ${[...keys, ...prefixes].join(' ')}`);
      out.push(
        `    sub-keys (${Object.keys(kd.subKeys).length}): ${sorted(kd.subKeys)
          .map(([k]) => k)
          .join(' ')}`,
      );
      const tokens = sorted(kd.tokens);
      out.push(`    tokens (${tokens.length}): ${tokens.map(([k]) => k).join(' ')}`);
      if (opts.all) {
        for (const [k, s] of sorted(kd.keys)) out.push(`    key ${k}  ${where(s)}`);
        for (const [k, s] of sorted(kd.subKeys)) out.push(`    sub-key ${k}  ${where(s)}`);
        for (const [k, s] of tokens) out.push(`    token ${k} -> ${s.constants.join(', ')}  ${where(s)}`);
      }
    } else out.push('  kerneldoc: none (no apispec generator)');
    out.push(
      fw.kbuild
        ? `  kbuild grep: ${fw.kbuild.keys.map((k) => `${k}:`).join(' ')}  ${where(fw.kbuild.source)}`
        : '  kbuild grep: none',
    );
    out.push(
      fw.generator
        ? `  generator: needs ${fw.generator.need} of ${fw.generator.indicators.map((k) => `${k}:`).join(' ')}  ${where(fw.generator.source)}`
        : '  generator: none',
    );
    out.push(
      fw.extractor
        ? `  extractor: looks for ${fw.extractor.needles.join(' ')}  ${where(fw.extractor.source)}`
        : '  extractor: none',
    );
    out.push('');
  }
  return out.join('\n');
}
