/**
 * HTML for the dashboard, escaped by construction. `html` is a tagged template: every value put
 * into it is escaped with `esc` unless it is already an `Html` (made by `html` itself, or by `raw`
 * for text this code wrote), and arrays are joined. Pages are built only through it, so a value
 * from a patch (a subject, a name, a spec line) can never become markup.
 */

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type Part = Html | string | number | boolean | null | undefined | readonly Part[];

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** The one escape function: text to HTML, safe in element content and in quoted attributes. */
export function esc(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}

/** Text this code wrote itself (never a value from a patch or a request). */
export function raw(text: string): Html {
  return new Html(text);
}

function part(v: Part): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return (v as readonly Part[]).map(part).join('');
  return esc(String(v));
}

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += part(v) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

/** Parts joined with a separator (both escaped unless Html). */
export function joinHtml(parts: readonly Part[], sep: Part = ''): Html {
  return new Html(parts.map(part).join(part(sep)));
}
