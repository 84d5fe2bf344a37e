/**
 * SARIF 2.1.0 (OASIS) for code-scanning consumers: one run, one rule per check id the report uses,
 * one result per finding. Pure: data in, object or string out.
 *
 * Decisions:
 * - Findings outside the diff filter are results too, with `properties.outsideDiff: true` (false
 *   on the others): SARIF is an archive of what was found, and the filter is a presentation choice
 *   a consumer can re-apply; dropping them would lose findings, which the review never does.
 * - `helpUri` must be an absolute URI (the schema gives it `format: uri`), so the relative
 *   `docs/checks/<id>.md` is resolved against `docsBase` (default: `<informationUri>/docs/checks/`;
 *   pass e.g. a `.../blob/<tag>/docs/checks/` URL for a forge).
 * - A crashed check is a tool execution notification (level error) of the one invocation, tied to
 *   its rule by `associatedRule`; notes are notifications of level note. `executionSuccessful`
 *   stays true: a crash is isolated and the run still completes.
 * - The suggestion is a property, not a SARIF `fix`: a fix needs exact byte regions to replace,
 *   and a suggestion is only the line to add.
 * - `partialFingerprints['kapiReview/v1']` is the finding's fingerprint (check, spec, subject),
 *   which survives line moves and new revisions.
 */
import type { Severity } from '../checks/types.js';
import type { ReportFinding, ReviewReport } from './report.js';

const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
const FINGERPRINT_KEY = 'kapiReview/v1';

export type SarifLevel = 'error' | 'warning' | 'note';
const LEVEL: Record<Severity, SarifLevel> = { error: 'error', warning: 'warning', info: 'note' };

/** What a rule needs from a check's meta. */
export interface RuleInfo {
  id: string;
  description: string;
  severity: Severity;
}

export interface SarifOptions {
  /** The tool's version, e.g. package.json's. */
  version: string;
  /** Absolute URI about the tool. */
  informationUri: string;
  /** Meta of the checks (all of them, or at least those the report uses). */
  rules: readonly RuleInfo[];
  /** Absolute URI of the folder holding `<id>.md`; default `<informationUri>/docs/checks/`. */
  docsBase?: string;
}

interface SarifMessage {
  text: string;
}

interface SarifPhysicalLocation {
  artifactLocation: { uri: string; uriBaseId: '%SRCROOT%' };
  region?: { startLine: number; endLine?: number };
}

interface SarifLocation {
  id?: number;
  physicalLocation: SarifPhysicalLocation;
  message?: SarifMessage;
}

export interface SarifRule {
  id: string;
  shortDescription?: SarifMessage;
  helpUri: string;
  defaultConfiguration?: { level: SarifLevel };
}

export interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: SarifLevel;
  message: SarifMessage;
  locations: SarifLocation[];
  relatedLocations?: SarifLocation[];
  partialFingerprints: Record<string, string>;
  properties: {
    spec?: string;
    subject?: string;
    messageId?: string;
    suggestion?: string;
    outsideDiff: boolean;
  };
}

export interface SarifNotification {
  level: 'error' | 'note';
  message: SarifMessage;
  locations?: SarifLocation[];
  associatedRule?: { id: string; index: number };
  properties?: { messageId: string };
}

export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: [
    {
      tool: {
        driver: {
          name: 'kapi-review';
          informationUri: string;
          version: string;
          rules: SarifRule[];
        };
      };
      invocations: [
        {
          executionSuccessful: true;
          toolExecutionNotifications: SarifNotification[];
        },
      ];
      results: SarifResult[];
      properties: {
        series: {
          title: string;
          revision: number;
          state: string;
          patches: { messageId: string | null; subject: string }[];
        }[];
      };
    },
  ];
}

/**
 * A repository path as a relative URI reference: UTF-8 percent-encoded, `?` and `#` included (a
 * lone surrogate, which encodeURI would throw on, becomes U+FFFD first).
 */
export function pathUri(path: string): string {
  const wellFormed = path.replace(
    /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    '\uFFFD',
  );
  return encodeURI(wellFormed).replace(/[?#]/g, (c) => encodeURIComponent(c));
}

function physical(path: string, line: number, endLine?: number): SarifPhysicalLocation {
  const loc: SarifPhysicalLocation = { artifactLocation: { uri: pathUri(path), uriBaseId: '%SRCROOT%' } };
  // SARIF lines start at 1; a finding about a whole file (line 0) has no region
  if (line >= 1) {
    loc.region = { startLine: line };
    if (endLine !== undefined && endLine >= line) loc.region.endLine = endLine;
  }
  return loc;
}

export function reportToSarif(report: ReviewReport, opts: SarifOptions): SarifLog {
  const docsBase = opts.docsBase ?? `${opts.informationUri.replace(/\/+$/, '')}/docs/checks/`;
  const meta = new Map(opts.rules.map((r) => [r.id, r]));
  const used = new Set<string>();
  for (const f of [...report.findings, ...report.outside]) used.add(f.check);
  for (const c of report.crashes) used.add(c.check);
  const ids = [...used].sort();
  const index = new Map(ids.map((id, i) => [id, i]));
  const rules: SarifRule[] = ids.map((id) => {
    const m = meta.get(id);
    const helpUri = `${docsBase}${encodeURIComponent(id)}.md`;
    // a check the caller gave no meta for still gets a rule, so every ruleIndex resolves
    if (!m) return { id, helpUri };
    return {
      id,
      shortDescription: { text: m.description },
      helpUri,
      defaultConfiguration: { level: LEVEL[m.severity] },
    };
  });

  const result = (f: ReportFinding, outsideDiff: boolean): SarifResult => {
    // absent values are left out (SARIF has no nulls in its own objects; a property bag follows suit)
    const properties: SarifResult['properties'] = {
      ...(f.spec !== undefined ? { spec: f.spec } : {}),
      ...(f.subject !== undefined ? { subject: f.subject } : {}),
      ...(f.at.messageId !== undefined ? { messageId: f.at.messageId } : {}),
      ...(f.suggestion !== undefined ? { suggestion: f.suggestion } : {}),
      outsideDiff,
    };
    return {
      ruleId: f.check,
      ruleIndex: index.get(f.check) as number,
      level: LEVEL[f.severity],
      message: { text: f.message },
      locations: [{ physicalLocation: physical(f.at.path, f.at.line, f.at.endLine) }],
      ...(f.evidence.length > 0
        ? {
            relatedLocations: f.evidence.map((e, i) => ({
              id: i + 1,
              physicalLocation: physical(e.path, e.line),
              message: { text: e.text },
            })),
          }
        : {}),
      partialFingerprints: { [FINGERPRINT_KEY]: f.fingerprint },
      properties,
    };
  };

  const notifications: SarifNotification[] = [
    ...report.crashes.map(
      (c): SarifNotification => ({
        level: 'error',
        message: { text: `check ${c.check} crashed: ${c.error}` },
        locations: [{ physicalLocation: physical(c.path, 0) }],
        associatedRule: { id: c.check, index: index.get(c.check) as number },
        ...(c.messageId !== null ? { properties: { messageId: c.messageId } } : {}),
      }),
    ),
    ...report.notes.map((n): SarifNotification => ({ level: 'note', message: { text: n } })),
  ];

  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'kapi-review',
            informationUri: opts.informationUri,
            version: opts.version,
            rules,
          },
        },
        invocations: [{ executionSuccessful: true, toolExecutionNotifications: notifications }],
        results: [
          ...report.findings.map((f) => result(f, false)),
          ...report.outside.map((f) => result(f, true)),
        ],
        properties: {
          series: report.series.map((s) => ({
            title: s.title,
            revision: s.revision,
            state: s.state,
            patches: s.patches.map((p) => ({ messageId: p.messageId, subject: p.subject })),
          })),
        },
      },
    ],
  };
}

export function renderSarif(report: ReviewReport, opts: SarifOptions): string {
  return `${JSON.stringify(reportToSarif(report, opts), null, 2)}\n`;
}
