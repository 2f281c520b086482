/**
 * Applying nb2prod's fixes to the live notebook model. No DOM and no JupyterLab here:
 * the notebook is an `IEditableNotebook` (the plugin wraps the shared model), so the
 * rules below are tested on a plain object.
 *
 * A fix's edits were computed by the server from a snapshot of the notebook (the one
 * linted, or the one posted to `/nb2prod/fix`). Before anything changes, every cell an
 * edit touches must still be as it was in that snapshot (same source; for cleared
 * outputs, the same outputs; for a metadata key, the same value): otherwise nothing is
 * applied and the caller lints again, so unsaved work is never overwritten. All edits
 * then go in as one transaction (one undo step).
 */
import type {
  IFixEdit,
  IFixInfo,
  IFixSourceEdit,
  IRequirementEdit
} from './api';

/** A cell as the fix checks it. `outputs` is the JSON text of its outputs and count. */
export interface ICellState {
  id: string | null;
  source: string;
  outputs: string;
}

/** What applying a fix needs of the notebook. Indices are 0-based. */
export interface IEditableNotebook {
  cells(): ICellState[];
  metadata(key: string): unknown;
  /**
   * Runs `apply` as one undoable change: of cell `cell` when it is the only cell the
   * change touches (so that cell's undo takes it back), else of the notebook.
   */
  transact(apply: () => void, cell?: number): void;
  updateSource(index: number, start: number, end: number, text: string): void;
  deleteCell(index: number): void;
  /** Clears every output and the execution count, or removes output `output` (0-based) only. */
  clearOutputs(index: number, output: number | null): void;
  setMetadata(key: string, value: unknown): void;
}

/** The notebook the fix was computed from (nbformat JSON as the page sent it). */
export interface ISnapshot {
  cells?: { id?: unknown; source?: unknown; outputs?: unknown; execution_count?: unknown }[];
  metadata?: Record<string, unknown>;
}

export type Operation =
  | { kind: 'source'; index: number; start: number; end: number; text: string }
  | { kind: 'delete_cell'; index: number }
  | { kind: 'clear_outputs'; index: number; output: number | null }
  | { kind: 'metadata'; key: string; value: unknown };

export type Plan = { ok: true; operations: Operation[] } | { ok: false; reason: string };

export function sourceText(source: unknown): string {
  if (Array.isArray(source)) {
    return source.filter(s => typeof s === 'string').join('');
  }
  return typeof source === 'string' ? source : '';
}

/** The outputs and execution count of a cell, as one comparable text. */
export function outputsKey(outputs: unknown, executionCount: unknown): string {
  return JSON.stringify([outputs ?? null, executionCount ?? null]);
}

function snapshotCell(snapshot: ISnapshot, cell: number): ICellState | null {
  const c = snapshot.cells?.[cell - 1];
  if (!c) {
    return null;
  }
  return {
    id: typeof c.id === 'string' ? c.id : null,
    source: sourceText(c.source),
    outputs: outputsKey(c.outputs, c.execution_count)
  };
}

/**
 * The 0-based index of the live cell an edit means: by id when the notebook has ids
 * (the cell may have moved), else by its 1-based position, or null.
 */
export function liveIndex(
  edit: { cell: number; cell_id: string | null },
  live: readonly ICellState[]
): number | null {
  if (edit.cell_id) {
    const i = live.findIndex(c => c.id === edit.cell_id);
    if (i >= 0) {
      return i;
    }
    if (live.some(c => c.id)) {
      return null;
    }
  }
  const i = edit.cell - 1;
  return i >= 0 && i < live.length ? i : null;
}

function utf16Range(edit: IFixSourceEdit, source: string): [number, number] {
  if (typeof edit.start_utf16 === 'number' && typeof edit.end_utf16 === 'number') {
    return [edit.start_utf16, edit.end_utf16];
  }
  // Python offsets count code points: convert.
  const points = Array.from(source);
  const at = (n: number) => points.slice(0, n).join('').length;
  return [at(edit.start), at(edit.end)];
}

function sameJSON(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * Checks the edits against the live notebook and the snapshot they were computed
 * from, and orders them for application. Requirement edits are not the notebook's
 * and are left out (see `fileChanges`).
 */
export function planEdits(
  edits: readonly IFixEdit[],
  snapshot: ISnapshot,
  notebook: Pick<IEditableNotebook, 'cells' | 'metadata'>
): Plan {
  const live = notebook.cells();
  const sources: Operation[] = [];
  const clears: Operation[] = [];
  const metadata: Operation[] = [];
  const deletes: number[] = [];
  const fail = (reason: string): Plan => ({ ok: false, reason });
  for (const edit of edits) {
    if (edit.kind === 'requirement') {
      continue;
    }
    if (edit.kind === 'metadata') {
      if (!sameJSON(notebook.metadata(edit.key), snapshot.metadata?.[edit.key])) {
        return fail(`the notebook's ${edit.key} metadata changed since the lint`);
      }
      metadata.push({ kind: 'metadata', key: edit.key, value: edit.value });
      continue;
    }
    if (edit.kind !== 'source' && edit.kind !== 'delete_cell' && edit.kind !== 'clear_outputs') {
      return fail(`unknown edit ${(edit as { kind: string }).kind}`);
    }
    const was = snapshotCell(snapshot, edit.cell);
    const index = liveIndex(edit, live);
    if (!was || index === null) {
      return fail(`cell ${edit.cell} is no longer in the notebook`);
    }
    const now = live[index];
    if (edit.kind === 'clear_outputs') {
      if (now.outputs !== was.outputs) {
        return fail(`cell ${index + 1} has run again since the lint`);
      }
      const one = typeof edit.output === 'number' ? edit.output - 1 : null;
      clears.push({ kind: 'clear_outputs', index, output: one });
      continue;
    }
    if (now.source !== was.source) {
      return fail(`cell ${index + 1} was edited since the lint`);
    }
    if (edit.kind === 'delete_cell') {
      if (!deletes.includes(index)) {
        deletes.push(index);
      }
      continue;
    }
    const sourceEdit = edit as IFixSourceEdit;
    const [start, end] = utf16Range(sourceEdit, now.source);
    if (!(0 <= start && start <= end && end <= now.source.length)) {
      return fail(`cell ${index + 1} is shorter than the fix expects`);
    }
    sources.push({ kind: 'source', index, start, end, text: sourceEdit.text });
  }
  // Within a cell, later edits first so earlier offsets stay valid (ties keep their
  // order, as the server applies them); deleted cells last, from the end.
  sources.sort((a, b) => {
    const x = a as Extract<Operation, { kind: 'source' }>;
    const y = b as Extract<Operation, { kind: 'source' }>;
    return x.index - y.index || y.start - x.start || y.end - x.end;
  });
  const ordered = [
    ...sources,
    ...clears,
    ...metadata,
    ...deletes.sort((a, b) => b - a).map(index => ({ kind: 'delete_cell', index }) as Operation)
  ];
  return { ok: true, operations: ordered };
}

/**
 * The one cell whose source or outputs the operations change, when they change nothing
 * else (no deleted cell, no notebook metadata); else undefined.
 */
export function singleCell(operations: readonly Operation[]): number | undefined {
  const cells = new Set<number>();
  for (const op of operations) {
    if (op.kind === 'metadata' || op.kind === 'delete_cell') {
      return undefined;
    }
    cells.add(op.index);
  }
  return cells.size === 1 ? [...cells][0] : undefined;
}

/** Applies planned operations as one transaction (one undo step). */
export function applyOperations(notebook: IEditableNotebook, operations: readonly Operation[]): void {
  notebook.transact(() => {
    for (const op of operations) {
      switch (op.kind) {
        case 'source':
          notebook.updateSource(op.index, op.start, op.end, op.text);
          break;
        case 'clear_outputs':
          notebook.clearOutputs(op.index, op.output);
          break;
        case 'metadata':
          notebook.setMetadata(op.key, op.value);
          break;
        case 'delete_cell':
          notebook.deleteCell(op.index);
          break;
      }
    }
  }, singleCell(operations));
}

/** A dependency-file change the fix needs written (by the server). */
export interface IFileWrite {
  path: string;
  before: string | null;
  after: string;
}

/**
 * The dependency-file writes of a finding's fix, and the files it cannot write (outside
 * the server root, or not computable), by name.
 */
export function fileChanges(fix: IFixInfo): { writes: IFileWrite[]; refused: string[] } {
  const writes: IFileWrite[] = [];
  const refused: string[] = [];
  const byPath = new Map<string, IFileWrite>();
  for (const edit of fix.edits) {
    if (edit.kind !== 'requirement') {
      continue;
    }
    const req = edit as IRequirementEdit;
    if (!req.path || typeof req.after !== 'string') {
      refused.push(req.file.split(/[\\/]/).pop() ?? req.file);
      continue;
    }
    const known = byPath.get(req.path);
    if (known) {
      // Two requirements on one file were computed from the same text: the server
      // writes one file change per request; the second waits for the next lint.
      continue;
    }
    const write = { path: req.path, before: req.before ?? null, after: req.after };
    byPath.set(req.path, write);
    writes.push(write);
  }
  return { writes, refused };
}

/** Whether a fix changes anything in the notebook itself (not only dependency files). */
export function touchesNotebook(edits: readonly IFixEdit[]): boolean {
  return edits.some(e => e.kind !== 'requirement');
}

/**
 * A readable diff of one fix's notebook edits (for the confirmation of an unsafe fix):
 * for each changed cell, the lines the edits touch before (`-`) and after (`+`).
 */
export function describeEdits(edits: readonly IFixEdit[], snapshot: ISnapshot): string {
  const out: string[] = [];
  const byCell = new Map<number, IFixSourceEdit[]>();
  for (const edit of edits) {
    if (edit.kind === 'source') {
      byCell.set(edit.cell, [...(byCell.get(edit.cell) ?? []), edit]);
    } else if (edit.kind === 'delete_cell') {
      out.push(`--- cell ${edit.cell} (deleted)`);
      const was = snapshotCell(snapshot, edit.cell);
      for (const line of (was?.source ?? '').split('\n')) {
        out.push(`-${line}`);
      }
    } else if (edit.kind === 'clear_outputs') {
      out.push(
        typeof edit.output === 'number'
          ? `~~~ cell ${edit.cell}: output ${edit.output} removed`
          : `~~~ cell ${edit.cell}: outputs and execution count cleared`
      );
    } else if (edit.kind === 'metadata') {
      out.push(`~~~ notebook metadata ${edit.key} set to ${JSON.stringify(edit.value)}`);
    } else if (edit.kind === 'requirement') {
      const name = edit.path ?? edit.file.split(/[\\/]/).pop() ?? edit.file;
      out.push(`+++ ${name}: ${edit.package}==${edit.version}`);
    }
  }
  for (const [cell, cellEdits] of [...byCell.entries()].sort((a, b) => a[0] - b[0])) {
    const before = snapshotCell(snapshot, cell)?.source ?? '';
    let after = before;
    const ranges = cellEdits.map(e => ({ range: utf16Range(e, before), text: e.text }));
    for (const r of [...ranges].sort((a, b) => b.range[0] - a.range[0] || b.range[1] - a.range[1])) {
      after = after.slice(0, r.range[0]) + r.text + after.slice(r.range[1]);
    }
    // The lines around the hull of the edits, before and after.
    const lo = Math.min(...ranges.map(r => r.range[0]));
    const hi = Math.max(...ranges.map(r => r.range[1]));
    const first = before.lastIndexOf('\n', lo - 1) + 1;
    const lastNl = before.indexOf('\n', hi);
    const last = lastNl < 0 ? before.length : lastNl;
    const tail = before.length - last;
    out.push(`@@ cell ${cell}, line ${before.slice(0, first).split('\n').length}`);
    for (const line of before.slice(first, last).split('\n')) {
      out.push(`-${line}`);
    }
    for (const line of after.slice(first, after.length - tail).split('\n')) {
      out.push(`+${line}`);
    }
  }
  return out.join('\n');
}
