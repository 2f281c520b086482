/**
 * Mapping findings to the cells of the notebook as it is now in the page. No DOM here:
 * the notebook is described by the ids of its cells, in order.
 */
import type { IFinding, Severity } from './api';
import { worstSeverity } from './findings';

/**
 * The 0-based index of the finding's cell among `cellIds`, or null.
 *
 * The cell id wins (it survives cells being inserted or moved since the lint ran);
 * without an id, or when no cell has that id any more, the 1-based `cell` index is
 * used if it is still in range. Notebook-level findings (no cell) map to null.
 */
export function resolveCellIndex(
  finding: Pick<IFinding, 'cell' | 'cell_id'>,
  cellIds: readonly (string | null | undefined)[]
): number | null {
  if (finding.cell_id) {
    const byId = cellIds.indexOf(finding.cell_id);
    if (byId >= 0) {
      return byId;
    }
    // The id is gone: the cell was deleted (or its id changed). An index would point
    // at some other cell only if the ids are unusable anyway.
    if (cellIds.some(id => !!id)) {
      return null;
    }
  }
  if (finding.cell === null || finding.cell === undefined) {
    return null;
  }
  const index = finding.cell - 1;
  return index >= 0 && index < cellIds.length ? index : null;
}

/** The findings of each cell, keyed by 0-based cell index; unmappable findings are left out. */
export function findingsByCell(
  findings: readonly IFinding[],
  cellIds: readonly (string | null | undefined)[]
): Map<number, IFinding[]> {
  const byCell = new Map<number, IFinding[]>();
  for (const f of findings) {
    const index = resolveCellIndex(f, cellIds);
    if (index === null) {
      continue;
    }
    const list = byCell.get(index);
    if (list) {
      list.push(f);
    } else {
      byCell.set(index, [f]);
    }
  }
  return byCell;
}

export interface ICellMarker {
  /** The worst severity among the cell's findings: the marker's colour. */
  level: Severity;
  /** The codes on the cell, most severe first, each once. */
  codes: string[];
  /** How many findings the cell has: the badge's text. */
  count: number;
  /** The codes for a label: "NB102" or "NB102 +2". */
  summary: string;
  /** One line per finding, for a tooltip. */
  title: string;
}

/** The marker a cell shows for its findings (null when it has none). */
export function cellMarker(findings: readonly IFinding[]): ICellMarker | null {
  const level = worstSeverity(findings);
  if (level === null) {
    return null;
  }
  const rank = { error: 2, warning: 1, info: 0 } as Record<string, number>;
  const ordered = [...findings].sort(
    (a, b) => (rank[b.severity] ?? 0) - (rank[a.severity] ?? 0) || a.code.localeCompare(b.code)
  );
  const codes = [...new Set(ordered.map(f => f.code))];
  const summary = codes.length > 1 ? `${codes[0]} +${codes.length - 1}` : codes[0];
  const title = ordered
    .map(f => `${f.code} ${f.severity}${f.line ? ` (line ${f.line})` : ''}: ${f.message}`)
    .join('\n');
  return { level, codes, count: findings.length, summary, title };
}
