import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../checks/index.js';
import { pathUri, renderSarif, reportToSarif, type SarifOptions } from '../../reporters/sarif.js';
import { ERROR, P1, P2, RULES, sampleReport } from './sample.js';

const OPTS: SarifOptions = {
  version: '0.1.0',
  informationUri: 'https://example.org/kapi-review',
  rules: RULES,
};

type J = Record<string, unknown>;
const LEVELS = ['none', 'note', 'warning', 'error'];
const isObj = (v: unknown): v is J => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown, min: number): boolean => Number.isInteger(v) && (v as number) >= min;
const absoluteUri = (v: unknown): boolean => typeof v === 'string' && /^[a-z][a-z0-9+.-]*:[^\s]*$/i.test(v);
/** A relative reference of RFC 3986 with a path only: unreserved, sub-delims, ':', '@', '/' or %XX. */
const uriReference = (v: unknown): boolean =>
  typeof v === 'string' && /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$/.test(v);

/**
 * The requirements of SARIF 2.1.0 (OASIS standard, and its JSON schema) that this reporter can get
 * wrong, checked by hand: required properties, enums, integer minimums, URI forms, rule references
 * that resolve, unique related-location ids, and no null in SARIF's own objects (its schema types
 * those properties; only property bags are free-form).
 */
function sarifErrors(log: unknown): string[] {
  const errs: string[] = [];
  const need = (ok: boolean, what: string): void => {
    if (!ok) errs.push(what);
  };
  const noNulls = (v: unknown, at: string): void => {
    if (v === null) errs.push(`${at}: null`);
    else if (Array.isArray(v)) for (const [i, x] of v.entries()) noNulls(x, `${at}[${i}]`);
    else if (isObj(v))
      for (const [k, x] of Object.entries(v)) if (k !== 'properties') noNulls(x, `${at}.${k}`);
  };
  const message = (m: unknown, at: string): void =>
    need(
      isObj(m) && (typeof m.text === 'string' || typeof m.id === 'string'),
      `${at}: message needs text or id`,
    );
  const location = (l: unknown, at: string): void => {
    if (!isObj(l)) return void errs.push(`${at}: not an object`);
    if (l.id !== undefined) need(isInt(l.id, -1), `${at}.id: integer >= -1`);
    if (l.message !== undefined) message(l.message, `${at}.message`);
    const p = l.physicalLocation;
    if (p === undefined) return;
    if (!isObj(p)) return void errs.push(`${at}.physicalLocation: not an object`);
    need(
      isObj(p.artifactLocation) || isObj(p.address),
      `${at}.physicalLocation: artifactLocation or address`,
    );
    if (isObj(p.artifactLocation)) {
      const a = p.artifactLocation;
      if (a.uri !== undefined)
        need(uriReference(a.uri), `${at}: artifactLocation.uri is not a URI reference`);
      if (a.uriBaseId !== undefined) need(typeof a.uriBaseId === 'string', `${at}: uriBaseId`);
    }
    if (p.region !== undefined) {
      const r = p.region;
      if (!isObj(r)) return void errs.push(`${at}.region: not an object`);
      need(isInt(r.startLine, 1), `${at}.region.startLine: integer >= 1`);
      if (r.endLine !== undefined) need(isInt(r.endLine, r.startLine as number), `${at}.region.endLine`);
    }
  };
  const bag = (b: unknown, at: string): void => {
    if (b !== undefined) need(isObj(b), `${at}: property bag is an object`);
  };

  if (!isObj(log)) return ['log: not an object'];
  noNulls(log, '$');
  need(log.version === '2.1.0', 'version: 2.1.0');
  need(absoluteUri(log.$schema), '$schema: absolute URI');
  need(Array.isArray(log.runs) && log.runs.length > 0, 'runs: non-empty array');
  for (const [ri, run] of ((log.runs as unknown[]) ?? []).entries()) {
    const at = `runs[${ri}]`;
    if (!isObj(run) || !isObj(run.tool) || !isObj(run.tool.driver)) {
      errs.push(`${at}: tool.driver required`);
      continue;
    }
    const driver = run.tool.driver;
    need(typeof driver.name === 'string' && driver.name.length > 0, `${at}: driver.name required`);
    if (driver.informationUri !== undefined)
      need(absoluteUri(driver.informationUri), `${at}: informationUri absolute`);
    if (driver.version !== undefined)
      need(typeof driver.version === 'string', `${at}: driver.version is a string`);
    const rules = (driver.rules ?? []) as J[];
    need(Array.isArray(rules), `${at}: rules is an array`);
    need(new Set(rules.map((r) => r.id)).size === rules.length, `${at}: rule ids unique`);
    for (const [i, r] of rules.entries()) {
      need(typeof r.id === 'string', `${at}.rules[${i}]: id required`);
      if (r.helpUri !== undefined) need(absoluteUri(r.helpUri), `${at}.rules[${i}]: helpUri absolute`);
      if (r.shortDescription !== undefined) message(r.shortDescription, `${at}.rules[${i}].shortDescription`);
      if (r.defaultConfiguration !== undefined)
        need(
          isObj(r.defaultConfiguration) && LEVELS.includes(r.defaultConfiguration.level as string),
          `${at}.rules[${i}]: defaultConfiguration.level`,
        );
    }
    const ruleRef = (ref: unknown, where: string): void => {
      if (!isObj(ref)) return void errs.push(`${where}: not an object`);
      need(
        ref.index !== undefined || ref.id !== undefined || ref.guid !== undefined,
        `${where}: index, id or guid`,
      );
      if (ref.index !== undefined)
        need(
          isInt(ref.index, -1) && rules[ref.index as number]?.id === ref.id,
          `${where}: index resolves to id`,
        );
    };
    for (const [ii, inv] of ((run.invocations ?? []) as J[]).entries()) {
      need(
        typeof inv.executionSuccessful === 'boolean',
        `${at}.invocations[${ii}]: executionSuccessful required`,
      );
      for (const [ni, n] of ((inv.toolExecutionNotifications ?? []) as J[]).entries()) {
        const w = `${at}.invocations[${ii}].toolExecutionNotifications[${ni}]`;
        message(n.message, w);
        if (n.level !== undefined) need(LEVELS.includes(n.level as string), `${w}: level`);
        for (const [li, l] of ((n.locations ?? []) as unknown[]).entries())
          location(l, `${w}.locations[${li}]`);
        if (n.associatedRule !== undefined) ruleRef(n.associatedRule, `${w}.associatedRule`);
        bag(n.properties, `${w}.properties`);
      }
    }
    need(Array.isArray(run.results), `${at}: results is an array`);
    for (const [i, r] of ((run.results ?? []) as J[]).entries()) {
      const w = `${at}.results[${i}]`;
      message(r.message, w);
      if (r.level !== undefined) need(LEVELS.includes(r.level as string), `${w}: level`);
      if (r.ruleIndex !== undefined) {
        need(isInt(r.ruleIndex, -1), `${w}: ruleIndex integer >= -1`);
        need(rules[r.ruleIndex as number]?.id === r.ruleId, `${w}: ruleIndex resolves to ruleId`);
      }
      for (const [li, l] of ((r.locations ?? []) as unknown[]).entries())
        location(l, `${w}.locations[${li}]`);
      const related = (r.relatedLocations ?? []) as J[];
      for (const [li, l] of related.entries()) location(l, `${w}.relatedLocations[${li}]`);
      const ids = related.map((l) => l.id).filter((x) => x !== undefined);
      need(new Set(ids).size === ids.length, `${w}: relatedLocations ids unique`);
      if (r.partialFingerprints !== undefined)
        need(
          isObj(r.partialFingerprints) &&
            Object.values(r.partialFingerprints).every((v) => typeof v === 'string'),
          `${w}: partialFingerprints values are strings`,
        );
      bag(r.properties, `${w}.properties`);
    }
    bag(run.properties, `${at}.properties`);
  }
  return errs;
}

const sarif = () => reportToSarif(sampleReport(), OPTS);

describe('reportToSarif', () => {
  it('is valid SARIF 2.1.0 by the subset check, through JSON text too', () => {
    expect(sarifErrors(sarif())).toEqual([]);
    expect(sarifErrors(JSON.parse(renderSarif(sampleReport(), OPTS)))).toEqual([]);
    expect(
      sarifErrors(reportToSarif({ series: [], findings: [], outside: [], crashes: [], notes: [] }, OPTS)),
    ).toEqual([]);
  });

  it('the subset check catches what it is meant to catch', () => {
    const mutate = (f: (log: J & { runs: J[] }) => void): string[] => {
      const log = JSON.parse(renderSarif(sampleReport(), OPTS));
      f(log);
      return sarifErrors(log);
    };
    const run = (l: J & { runs: J[] }) =>
      l.runs[0] as J & { results: J[]; tool: { driver: J & { rules: J[] } } };
    expect(mutate((l) => (l.version = '2.0.0'))).toEqual(['version: 2.1.0']);
    expect(mutate((l) => (l.runs = []))).toEqual(['runs: non-empty array']);
    expect(mutate((l) => delete run(l).tool.driver.name)).toEqual(['runs[0]: driver.name required']);
    expect(mutate((l) => (run(l).results[0] = { ...run(l).results[0], ruleIndex: 2 }))).toHaveLength(1);
    expect(mutate((l) => (run(l).results[0] = { ...run(l).results[0], level: 'fatal' }))).toHaveLength(1);
    expect(mutate((l) => (run(l).results[0] = { ...run(l).results[0], message: {} }))).toHaveLength(1);
    expect(mutate((l) => (run(l).results[0] = { ...run(l).results[0], message: null }))).not.toEqual([]);
    expect(
      mutate((l) => (run(l).tool.driver.rules[0] = { id: 'x', helpUri: 'docs/checks/x.md' })),
    ).not.toEqual([]);
    expect(
      mutate((l) => {
        const loc = ((run(l).results[0] as J).locations as J[])[0] as { physicalLocation: { region: J } };
        loc.physicalLocation.region.startLine = 0;
      }),
    ).toHaveLength(1);
    expect(
      mutate((l) => {
        const loc = ((run(l).results[0] as J).locations as J[])[0] as {
          physicalLocation: { artifactLocation: J };
        };
        loc.physicalLocation.artifactLocation.uri = 'a b.c';
      }),
    ).toHaveLength(1);
    expect(mutate((l) => (l.runs[0] = { ...l.runs[0], invocations: [{}] }))).toHaveLength(1);
  });

  it('names the tool and its version in one run', () => {
    const log = sarif();
    expect(log.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json');
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(1);
    const { driver } = log.runs[0].tool;
    expect([driver.name, driver.version, driver.informationUri]).toEqual([
      'kapi-review',
      '0.1.0',
      'https://example.org/kapi-review',
    ]);
  });

  it('has one rule per check id used (crashed checks included), with meta when given', () => {
    expect(sarif().runs[0].tool.driver.rules).toEqual([
      {
        id: 'kapi-count-mismatch',
        shortDescription: { text: 'A declared count differs from the number of entries it counts.' },
        helpUri: 'https://example.org/kapi-review/docs/checks/kapi-count-mismatch.md',
        defaultConfiguration: { level: 'error' },
      },
      {
        id: 'kapi-error-undocumented',
        shortDescription: { text: 'The code returns an error the spec does not list.' },
        helpUri: 'https://example.org/kapi-review/docs/checks/kapi-error-undocumented.md',
        defaultConfiguration: { level: 'warning' },
      },
      { id: 'kapi-lock-order', helpUri: 'https://example.org/kapi-review/docs/checks/kapi-lock-order.md' },
    ]);
    const base = 'https://git.example.org/kapi-review/tree/v0.1.0/docs/checks/';
    const rules = reportToSarif(sampleReport(), { ...OPTS, docsBase: base }).runs[0].tool.driver.rules;
    expect(rules.map((r) => r.helpUri)).toEqual(rules.map((r) => `${base}${r.id}.md`));
  });

  it('takes rule meta from the real check registry', () => {
    const rules = CHECKS.map((c) => ({
      id: c.meta.id,
      description: c.meta.description,
      severity: c.meta.severity,
    }));
    const [rule] = reportToSarif(sampleReport(), { ...OPTS, rules }).runs[0].tool.driver.rules;
    expect(rule?.shortDescription?.text).toBe(
      CHECKS.find((c) => c.meta.id === 'kapi-count-mismatch')?.meta.description,
    );
  });

  it('renders a finding with evidence and suggestion exactly', () => {
    expect(sarif().runs[0].results[0]).toEqual({
      ruleId: 'kapi-error-undocumented',
      ruleIndex: 1,
      level: 'error',
      message: { text: ERROR.message },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: 'kernel/frob.c', uriBaseId: '%SRCROOT%' },
            region: { startLine: 42 },
          },
        },
      ],
      relatedLocations: [
        {
          id: 1,
          physicalLocation: {
            artifactLocation: { uri: 'kernel/frob.c', uriBaseId: '%SRCROOT%' },
            region: { startLine: 12 },
          },
          message: { text: 'KAPI_ERROR(0, -EPERM, "EPERM", "not allowed", "")' },
        },
        {
          id: 2,
          physicalLocation: {
            artifactLocation: { uri: 'kernel/frob.c', uriBaseId: '%SRCROOT%' },
            region: { startLine: 42 },
          },
          message: { text: 'return -EINVAL;' },
        },
      ],
      partialFingerprints: { 'kapiReview/v1': '0123456789abcdef' },
      properties: {
        spec: 'sys_frob',
        subject: 'EINVAL',
        messageId: P1,
        suggestion: 'KAPI_ERROR(1, -EINVAL, "EINVAL", "len too large", "")',
        outsideDiff: false,
      },
    });
  });

  it('maps levels, includes outside findings marked outsideDiff, and leaves absent properties out', () => {
    const { results } = sarif().runs[0];
    expect(results.map((r) => [r.ruleId, r.level, r.properties.outsideDiff])).toEqual([
      ['kapi-error-undocumented', 'error', false],
      ['kapi-count-mismatch', 'warning', false],
      ['kapi-count-mismatch', 'note', true],
    ]);
    expect(results[1]?.properties).toEqual({ messageId: P2, outsideDiff: false });
    expect(results[2]?.relatedLocations).toBeUndefined();
    expect(results[2]?.partialFingerprints).toEqual({ 'kapiReview/v1': '00000000deadbeef' });
  });

  it('reports crashes and notes as notifications of the invocation', () => {
    const [inv] = sarif().runs[0].invocations;
    expect(inv.executionSuccessful).toBe(true);
    expect(inv.toolExecutionNotifications).toEqual([
      {
        level: 'error',
        message: { text: 'check kapi-lock-order crashed: spec.locks is not iterable' },
        locations: [
          { physicalLocation: { artifactLocation: { uri: 'mm/mlock.c', uriBaseId: '%SRCROOT%' } } },
        ],
        associatedRule: { id: 'kapi-lock-order', index: 2 },
        properties: { messageId: P2 },
      },
      { level: 'note', message: { text: 'mm/mlock.c: checked without a kernel tree, hunks only' } },
    ]);
  });

  it('leaves a crash without Message-ID without properties', () => {
    const r = sampleReport();
    r.crashes = [{ check: 'kapi-x', path: 'a.c', messageId: null, error: 'boom' }];
    const [n] = reportToSarif(r, OPTS).runs[0].invocations[0].toolExecutionNotifications;
    expect(n).toEqual({
      level: 'error',
      message: { text: 'check kapi-x crashed: boom' },
      locations: [{ physicalLocation: { artifactLocation: { uri: 'a.c', uriBaseId: '%SRCROOT%' } } }],
      associatedRule: { id: 'kapi-x', index: 2 },
    });
  });

  it('keeps the series in the run property bag', () => {
    expect(sarif().runs[0].properties.series[0]?.patches.map((p) => p.messageId)).toEqual([P1, P2]);
  });

  it('escapes paths into URI references and drops regions SARIF cannot express', () => {
    expect(pathUri('drivers/a b#c?.c')).toBe('drivers/a%20b%23c%3F.c');
    expect(pathUri('fs/100%.c')).toBe('fs/100%25.c');
    expect(pathUri('mm/mlock.c')).toBe('mm/mlock.c');
    expect(pathUri('a\uD800b')).toBe('a%EF%BF%BDb');
    const r = sampleReport();
    r.findings = [{ ...ERROR, at: { path: 'a b.c', line: 0 }, evidence: [] }];
    r.outside = [{ ...ERROR, at: { path: 'x.c', line: 3, endLine: 5 }, evidence: [] }];
    const log = reportToSarif(r, OPTS);
    expect(sarifErrors(log)).toEqual([]);
    expect(log.runs[0].results[0]?.locations[0]?.physicalLocation).toEqual({
      artifactLocation: { uri: 'a%20b.c', uriBaseId: '%SRCROOT%' },
    });
    expect(log.runs[0].results[1]?.locations[0]?.physicalLocation.region).toEqual({
      startLine: 3,
      endLine: 5,
    });
  });

  it('turns any path into a URI reference that decodes back to it', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (path) => {
        const uri = pathUri(path);
        expect(uriReference(uri)).toBe(true);
        expect(decodeURIComponent(uri)).toBe(path);
      }),
    );
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (path) => uriReference(pathUri(path))));
  });
});
