/**
 * The panel's own view state: which tab is shown (Findings, Cell, Build) and whether the
 * Families block is collapsed, with the rules that move between them: a build that starts
 * brings the Build tab forward, the arrow keys walk the tabs, the Build tab's badge says
 * how the last build went. No DOM here; the plugin saves `toJSON()` in JupyterLab's state
 * database and hands back what it restores through `parseViewState`.
 */
import { ISignal, Signal } from '@lumino/signaling';

import type { BuildPhase } from './build';

export type PanelTab = 'findings' | 'cell' | 'build';

/** The tabs, in the order shown. */
export const PANEL_TABS: readonly PanelTab[] = ['findings', 'cell', 'build'];

export const TAB_LABELS: Record<PanelTab, string> = {
  findings: 'Findings',
  cell: 'Cell',
  build: 'Build'
};

const BUSY_PHASES: readonly BuildPhase[] = ['saving', 'starting', 'running'];

export function isBuildBusy(phase: BuildPhase): boolean {
  return BUSY_PHASES.includes(phase);
}

/**
 * The tab to show once the build went from phase `previous` to `next`. A build that
 * starts (from the Build button, the palette command or Replace) shows the Build tab, so
 * its stages are in view at once; so does a conflict, which waits for an answer. Any
 * other change leaves the user's choice alone: a build that ends while the user reads
 * the findings does not take the panel away (the Build tab's badge tells the outcome).
 */
export function tabAfterBuildPhase(
  tab: PanelTab,
  previous: BuildPhase,
  next: BuildPhase
): PanelTab {
  if (next === previous) {
    return tab;
  }
  if (isBuildBusy(next) && !isBuildBusy(previous)) {
    return 'build';
  }
  return next === 'conflict' ? 'build' : tab;
}

/** The mark on the Build tab: how the current or last build stands (null: none yet). */
export type BuildBadge = 'busy' | 'ok' | 'error' | 'warn' | null;

export function buildBadge(phase: BuildPhase): BuildBadge {
  if (isBuildBusy(phase)) {
    return 'busy';
  }
  switch (phase) {
    case 'succeeded':
      return 'ok';
    case 'failed':
      return 'error';
    case 'conflict':
      return 'warn';
    default:
      return null;
  }
}

/**
 * The tab a key moves to in the tab bar (the WAI-ARIA tabs pattern: Left/Right wrap
 * around, Home/End go to the first/last tab); null for any other key.
 */
export function tabForKey(tab: PanelTab, key: string): PanelTab | null {
  const i = PANEL_TABS.indexOf(tab);
  const n = PANEL_TABS.length;
  switch (key) {
    case 'ArrowRight':
      return PANEL_TABS[(i + 1) % n];
    case 'ArrowLeft':
      return PANEL_TABS[(i - 1 + n) % n];
    case 'Home':
      return PANEL_TABS[0];
    case 'End':
      return PANEL_TABS[n - 1];
    default:
      return null;
  }
}

/** What the panel remembers across page loads (in the workspace). */
export interface IPanelViewState {
  familiesCollapsed: boolean;
}

export const DEFAULT_VIEW_STATE: IPanelViewState = { familiesCollapsed: false };

/** A view state restored from the state database; anything malformed gives the defaults. */
export function parseViewState(raw: unknown): IPanelViewState {
  const state = { ...DEFAULT_VIEW_STATE };
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    const collapsed = (raw as Record<string, unknown>).familiesCollapsed;
    if (typeof collapsed === 'boolean') {
      state.familiesCollapsed = collapsed;
    }
  }
  return state;
}

/**
 * Where `nb2prod build` writes the service of the notebook at `path` (server-relative,
 * `/`-separated) when no output is given: `<stem>-service` beside the notebook.
 */
export function defaultOutput(path: string): string {
  const slash = path.lastIndexOf('/');
  const dir = slash >= 0 ? path.slice(0, slash + 1) : '';
  const name = path.slice(slash + 1);
  const dot = name.lastIndexOf('.');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  return `${dir}${stem}-service`;
}

/** The Build tab's warning when the last lint has errors: the build's lint gate stops on them. */
export function gateNote(errors: number): string | null {
  if (!(errors > 0)) {
    return null;
  }
  return errors === 1
    ? '1 error will stop the build at its lint stage.'
    : `${errors} errors will stop the build at its lint stage.`;
}

/** What decides whether the Build tab offers "Build anyway (skip the lint gate)". */
export interface IBuildAnywayState {
  phase: BuildPhase;
  /** The stage the last build failed at (null: it did not fail, or failed before any stage). */
  failedStage: string | null;
  /** Whether the last build ran with the lint gate (false: it was a "Build anyway" already). */
  gate: boolean;
  /** The errors in the panel's lint of the notebook (as it is now). */
  lintErrors: number;
  /** The last build is of another notebook than the one the panel shows. */
  other?: boolean;
}

/**
 * Whether to offer "Build anyway", which builds the notebook with the lint gate off. Not
 * while a build runs or waits for Replace (Replace keeps the gate setting of its build),
 * nor beside the success of this notebook's last build. Offered when the last build of
 * this notebook failed at its lint stage with the gate on (its lint errors stopped it),
 * or when the panel's lint shows errors (the gate would stop a build). A build that had
 * the gate off and still failed at lint failed for another reason (a broken
 * configuration): building anyway again would not help. When the last build is of
 * another notebook, only the panel's lint counts.
 */
export function offerBuildAnyway(state: IBuildAnywayState): boolean {
  const { phase, failedStage, gate, lintErrors, other } = state;
  if (isBuildBusy(phase) || phase === 'conflict') {
    return false;
  }
  if (!other) {
    if (phase === 'succeeded') {
      return false;
    }
    if (phase === 'failed' && failedStage === 'lint') {
      return gate;
    }
  }
  return lintErrors > 0;
}

/**
 * The panel's view state, shared by the panel (which renders it) and the plugin (its
 * commands, and saving the collapsed state).
 */
export class PanelViewModel {
  constructor(state: Partial<IPanelViewState> = {}) {
    this._familiesCollapsed = state.familiesCollapsed ?? DEFAULT_VIEW_STATE.familiesCollapsed;
  }

  /** Emitted when the tab or the families' collapsed state changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get tab(): PanelTab {
    return this._tab;
  }

  set tab(value: PanelTab) {
    if (value === this._tab || !PANEL_TABS.includes(value)) {
      return;
    }
    this._tab = value;
    this._changed.emit();
  }

  get familiesCollapsed(): boolean {
    return this._familiesCollapsed;
  }

  set familiesCollapsed(value: boolean) {
    if (value === this._familiesCollapsed) {
      return;
    }
    this._familiesCollapsed = value;
    this._changed.emit();
  }

  /** Follows the build model: call it with the phase after each of its changes. */
  followBuild(phase: BuildPhase): void {
    const previous = this._buildPhase;
    this._buildPhase = phase;
    this.tab = tabAfterBuildPhase(this._tab, previous, phase);
  }

  /** Applies a restored state (the tab is not restored: the panel opens on the findings). */
  restore(state: IPanelViewState): void {
    this.familiesCollapsed = state.familiesCollapsed;
  }

  toJSON(): IPanelViewState {
    return { familiesCollapsed: this._familiesCollapsed };
  }

  private _changed = new Signal<this, void>(this);
  private _tab: PanelTab = 'findings';
  private _familiesCollapsed: boolean;
  private _buildPhase: BuildPhase = 'idle';
}

/** The line beside the collapsed Families title: how many families lose points. */
export function familiesNote(rows: readonly { score: number; weight: number }[]): string {
  const short = rows.filter(r => r.score < r.weight).length;
  if (!rows.length) {
    return '';
  }
  return short ? `${short} of ${rows.length} below full marks` : 'all at full marks';
}
