/**
 * reporters/patchwork.ts: one check per patch of the frob v1 series (fixtures/mail/base-frob-v1.mbox),
 * its state and description from the findings attributed to that patch.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../checks/types.js';
import { parseMailSync } from '../../parsers/mail.js';
import { splitMboxBuffer } from '../../parsers/mbox.js';
import { buildSeries, type Series } from '../../parsers/series.js';
import { bareMessageId, patchVerdict, planPatchChecks } from '../../reporters/patchwork.js';

const ID = (n: number) => `20260302100000.frob-v1-${n}@example.org`;

function frob(): Series {
  const mails = splitMboxBuffer(readFileSync('fixtures/mail/base-frob-v1.mbox')).map(
    (m) => parseMailSync(m.raw).value,
  );
  return buildSeries(mails).value.series[0] as Series;
}

function finding(check: string, severity: Finding['severity'], messageId?: string): Finding {
  return {
    check,
    severity,
    message: 'm',
    at: { path: 'kernel/frob.c', line: 1, ...(messageId ? { messageId } : {}) },
    evidence: [],
    fingerprint: `${check}-${severity}-${messageId}`,
  };
}

describe('planPatchChecks', () => {
  it('gives each patch the verdict of its own findings; a patch without any is a success', () => {
    const plans = planPatchChecks(frob(), [
      finding('kapi-deprecated-form', 'warning', ID(2)),
      finding('kapi-error-undocumented', 'error', `<${ID(3)}>`),
      finding('kapi-errno-alias', 'warning', ID(3)),
      finding('kapi-errno-alias', 'warning', ID(3)),
      // operator-only findings, and findings of no patch, are posted nowhere
      finding('kapi-parse-error', 'error', ID(1)),
      finding('kapi-error-undocumented', 'error'),
    ]);
    expect(plans).toEqual([
      { messageId: ID(1), counter: 1, state: 'success', description: 'no findings' },
      { messageId: ID(2), counter: 2, state: 'warning', description: '1 warning' },
      { messageId: ID(3), counter: 3, state: 'fail', description: '1 error, 2 warnings' },
    ]);
  });

  it('leaves out the slots a partial reroll took from an earlier revision', () => {
    const s = frob();
    const rerolled: Series = {
      ...s,
      patches: s.patches.map((p) => (p.counter === 2 ? { ...p, fromRevision: 1 } : p)),
    };
    expect(planPatchChecks(rerolled, []).map((p) => p.counter)).toEqual([1, 3]);
  });
});

describe('patchVerdict', () => {
  it('counts errors, warnings and notes; notes alone are a success', () => {
    expect(patchVerdict([{ severity: 'info' }, { severity: 'info' }])).toEqual({
      state: 'success',
      description: '2 notes',
    });
    expect(patchVerdict([{ severity: 'error' }, { severity: 'info' }])).toEqual({
      state: 'fail',
      description: '1 error, 1 note',
    });
  });

  it('takes a Message-ID with or without its angle brackets', () => {
    expect([bareMessageId(' <a@b> '), bareMessageId('a@b')]).toEqual(['a@b', 'a@b']);
  });
});
