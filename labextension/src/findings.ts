/**
 * Pure functions over findings: severity order, filtering, sorting, grouping and the
 * text of a finding's location. No DOM here.
 */
import type { IFamilyInfo, IFinding, Severity } from './api';

/** Severities from the least to the most severe (the server's `severities` order). */
export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'error'];

export function severityRank(severity: string): number {
  const rank = SEVERITIES.indexOf(severity as Severity);
  return rank < 0 ? 0 : rank;
}

export function isSeverity(value: unknown): value is Severity {
  return SEVERITIES.includes(value as Severity);
}

export interface IFindingFilter {
  /** Hide findings below this severity. */
  minSeverity: Severity;
  /** Show one family only; null shows all. */
  family: string | null;
}

export const DEFAULT_FILTER: IFindingFilter = {
  minSeverity: 'info',
  family: null
};

export function filterFindings(
  findings: readonly IFinding[],
  filter: IFindingFilter
): IFinding[] {
  const min = severityRank(filter.minSeverity);
  return findings.filter(
    f =>
      severityRank(f.severity) >= min &&
      (filter.family === null || f.family === filter.family)
  );
}

/**
 * Findings in notebook order: by cell (notebook-level findings, with no cell, first),
 * then line and column, then the most severe first, then code.
 */
export function sortFindings(findings: readonly IFinding[]): IFinding[] {
  const pos = (n: number | null | undefined) => (n === null || n === undefined ? 0 : n);
  return [...findings].sort(
    (a, b) =>
      pos(a.cell) - pos(b.cell) ||
      pos(a.line) - pos(b.line) ||
      pos(a.column) - pos(b.column) ||
      severityRank(b.severity) - severityRank(a.severity) ||
      a.code.localeCompare(b.code)
  );
}

export type GroupBy = 'family' | 'severity' | 'none';

export interface IFindingGroup {
  key: string;
  title: string;
  findings: IFinding[];
}

/**
 * Groups findings by family (in the server's family order, then any family it did not
 * list, alphabetically) or by severity (most severe first). Empty groups are left out;
 * findings keep notebook order inside a group. `none` gives one group with everything.
 */
export function groupFindings(
  findings: readonly IFinding[],
  by: GroupBy,
  families: readonly IFamilyInfo[] = []
): IFindingGroup[] {
  const sorted = sortFindings(findings);
  if (by === 'none') {
    return sorted.length ? [{ key: 'all', title: 'All findings', findings: sorted }] : [];
  }
  const buckets = new Map<string, IFinding[]>();
  for (const f of sorted) {
    const key = by === 'family' ? f.family : f.severity;
    const bucket = buckets.get(key);
    if (bucket) {
      bucket.push(f);
    } else {
      buckets.set(key, [f]);
    }
  }
  let order: string[];
  let title: (key: string) => string;
  if (by === 'family') {
    const known = families.map(f => f.key);
    const extra = [...buckets.keys()].filter(k => !known.includes(k)).sort();
    order = [...known, ...extra];
    const titles = new Map(families.map(f => [f.key, f.title]));
    title = key => titles.get(key) ?? key;
  } else {
    order = [...SEVERITIES].reverse();
    title = key => SEVERITY_TITLES[key as Severity] ?? key;
  }
  return order
    .filter(key => buckets.has(key))
    .map(key => ({ key, title: title(key), findings: buckets.get(key)! }));
}

export const SEVERITY_TITLES: Record<Severity, string> = {
  error: 'Errors',
  warning: 'Warnings',
  info: 'Info'
};

export function countBySeverity(
  findings: readonly IFinding[]
): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of findings) {
    if (isSeverity(f.severity)) {
      counts[f.severity] += 1;
    }
  }
  return counts;
}

export function countByFamily(findings: readonly IFinding[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const f of findings) {
    counts.set(f.family, (counts.get(f.family) ?? 0) + 1);
  }
  return counts;
}

/** The most severe of the findings, or null when there are none. */
export function worstSeverity(findings: readonly IFinding[]): Severity | null {
  let worst: Severity | null = null;
  for (const f of findings) {
    if (worst === null || severityRank(f.severity) > severityRank(worst)) {
      worst = f.severity;
    }
  }
  return worst;
}

/** "cell 3:2", "cell 3" or "notebook" (1-based, as the CLI prints them). */
export function findingLocation(finding: IFinding): string {
  if (finding.cell === null || finding.cell === undefined) {
    return 'notebook';
  }
  return finding.line ? `cell ${finding.cell}:${finding.line}` : `cell ${finding.cell}`;
}
