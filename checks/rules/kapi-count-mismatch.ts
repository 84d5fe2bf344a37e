/**
 * kapi-count-mismatch: a declared count (KAPI_*_COUNT(n), `.x_count = n`, `param-count: n`)
 * differs from the number of entries of that kind. The framework sizes its arrays by the count,
 * so entries past it are silently dropped and missing ones read as zeroed garbage.
 */
import type { ApiSpec, CountName } from '../../parsers/kapi/model.js';
import { defineCheck } from '../define.js';
import { evidenceAt } from '../unit.js';

/** The entries each declared count counts. */
function entriesOf(spec: ApiSpec, kind: CountName): { line: number }[] {
  switch (kind) {
    case 'param':
      return spec.params;
    case 'error':
      return spec.errors;
    case 'lock':
      return spec.locks;
    case 'signal':
      return spec.signals;
    case 'signal_mask':
      return spec.signalMasks;
    case 'side_effect':
      return spec.sideEffects;
    case 'state_trans':
      return spec.stateTransitions;
    case 'capability':
      return spec.capabilities;
    case 'constraint':
      return spec.constraints;
    case 'struct':
      return spec.structs;
  }
}

const LABEL: Record<CountName, [string, string]> = {
  param: ['param', 'params'],
  error: ['error', 'errors'],
  lock: ['lock', 'locks'],
  signal: ['signal', 'signals'],
  signal_mask: ['signal mask', 'signal masks'],
  side_effect: ['side effect', 'side effects'],
  state_trans: ['state transition', 'state transitions'],
  capability: ['capability', 'capabilities'],
  constraint: ['constraint', 'constraints'],
  struct: ['struct spec', 'struct specs'],
};

const messages = {
  mismatch: '{spec} declares {declared} {what} ({via}) but lists {actual}',
};

export const check = defineCheck({
  meta: {
    id: 'kapi-count-mismatch',
    description: 'A declared count differs from the number of entries it counts.',
    severity: 'error',
    messages,
  },
  run(ctx) {
    for (const spec of ctx.unit.specs) {
      // a spec cut off by a hunk or by unbalanced macros has entries we cannot see
      if (spec.partial) continue;
      for (const [kind, count] of Object.entries(spec.counts) as [
        CountName,
        ApiSpec['counts'][CountName],
      ][]) {
        if (!count) continue;
        const entries = entriesOf(spec, kind);
        if (entries.length === count.value) continue;
        const [one, many] = LABEL[kind];
        const countText = ctx.unit.line(count.line) ?? '';
        const evidence = [{ path: ctx.unit.path, line: count.line, text: countText.trim() }];
        const last = entries[entries.length - 1];
        if (last) evidence.push(evidenceAt(ctx.unit, last.line));
        // the fix is the count line itself with the right number, when the number appears once
        const written = String(count.value);
        const re = new RegExp(`(?<![\\w.])${written}(?![\\w.])`, 'g');
        const fixable = (countText.match(re) ?? []).length === 1;
        ctx.report({
          messageId: 'mismatch',
          data: {
            spec: spec.name,
            declared: count.value,
            what: count.value === 1 ? one : many,
            via: count.via,
            actual: entries.length,
          },
          line: count.line,
          spec: spec.name,
          subject: `count:${kind}`,
          evidence,
          ...(fixable ? { suggestion: countText.replace(re, String(entries.length)) } : {}),
        });
      }
    }
  },
});
