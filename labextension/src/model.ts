/**
 * The readiness panel's model: the last lint result of the current notebook, the rule
 * table and tag vocabulary from the server, the filters, and the debounced re-lint with
 * cancellation of stale responses. No DOM and no notebook widgets here: the plugin
 * hands it a `ILintSource` (the notebook's path and a way to read its content now).
 */
import { ISignal, Signal } from '@lumino/signaling';

import {
  IFamilyInfo,
  IFinding,
  ILintResult,
  INb2prodClient,
  IRuleInfo,
  ITagInfo,
  Severity,
  isAbort
} from './api';
import { findingsByCell } from './cells';
import {
  DEFAULT_FILTER,
  GroupBy,
  IFindingFilter,
  IFindingGroup,
  SEVERITIES,
  countByFamily,
  countBySeverity,
  filterFindings,
  groupFindings,
  sortFindings
} from './findings';
import { messageOf } from './build';

/** The notebook being linted, as the model sees it. */
export interface ILintSource {
  /** Path relative to the server root (used by the server for config lookup only). */
  readonly path: string;
  /** The notebook as it is now in the page (nbformat v4 JSON). */
  notebook(): unknown;
}

export type LintState = 'idle' | 'linting';

export interface IReadinessModelOptions {
  client: INb2prodClient;
  /** Quiet time after the last edit before a re-lint (ms). */
  debounceMs?: number;
  autoLint?: boolean;
}

export interface IFamilyRow {
  key: string;
  title: string;
  weight: number;
  score: number;
  /** All findings of the family (as scored). */
  findings: number;
  /** Those that pass the severity filter. */
  visible: number;
}

export class ReadinessModel {
  constructor(options: IReadinessModelOptions) {
    this._client = options.client;
    this._debounceMs = options.debounceMs ?? 500;
    this._autoLint = options.autoLint ?? true;
  }

  /** Emitted whenever anything the panel shows changed. */
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  get client(): INb2prodClient {
    return this._client;
  }

  // -- server metadata ------------------------------------------------------

  get rules(): ReadonlyMap<string, IRuleInfo> {
    return this._rules;
  }

  get families(): readonly IFamilyInfo[] {
    return this._families;
  }

  get severities(): readonly Severity[] {
    return this._severities;
  }

  get tags(): readonly ITagInfo[] {
    return this._tags;
  }

  get tagNames(): string[] {
    return this._tags.map(t => t.name);
  }

  /** Why the rule table or the tag vocabulary could not be loaded, if so. */
  get metadataError(): string | null {
    return this._metadataError;
  }

  get metadataLoaded(): boolean {
    return this._metadataLoaded;
  }

  /** Loads the rule table and the tag vocabulary from the server. */
  async loadMetadata(): Promise<void> {
    try {
      const [rules, tags] = await Promise.all([this._client.rules(), this._client.tags()]);
      if (this._disposed) {
        return;
      }
      this._rules = new Map(rules.rules.map(r => [r.code, r]));
      this._families = rules.families;
      this._severities = rules.severities?.length ? rules.severities : [...SEVERITIES];
      this._tags = tags.tags;
      this._metadataError = null;
      this._metadataLoaded = true;
    } catch (error) {
      if (this._disposed) {
        return;
      }
      this._metadataError = messageOf(error);
    }
    this._stateChanged.emit();
  }

  // -- settings -------------------------------------------------------------

  get debounceMs(): number {
    return this._debounceMs;
  }

  set debounceMs(value: number) {
    this._debounceMs = Math.max(0, Number.isFinite(value) ? value : 500);
  }

  get autoLint(): boolean {
    return this._autoLint;
  }

  set autoLint(value: boolean) {
    if (value === this._autoLint) {
      return;
    }
    this._autoLint = value;
    if (!value) {
      this._clearTimer();
      if (this._controllers.size === 0) {
        this._setState('idle');
      }
    } else if (this.stale) {
      this._scheduleLint();
    }
    this._stateChanged.emit();
  }

  get filter(): IFindingFilter {
    return this._filter;
  }

  set filter(value: IFindingFilter) {
    this._filter = { ...value };
    this._stateChanged.emit();
  }

  get groupBy(): GroupBy {
    return this._groupBy;
  }

  set groupBy(value: GroupBy) {
    this._groupBy = value;
    this._stateChanged.emit();
  }

  // -- the notebook and its lint result ------------------------------------

  get source(): ILintSource | null {
    return this._source;
  }

  get result(): ILintResult | null {
    return this._result;
  }

  /** The last lint error (bad notebook, server unreachable...), one line. */
  get error(): string | null {
    return this._error;
  }

  /** 'linting' from an edit until the result for the latest content is in. */
  get state(): LintState {
    return this._state;
  }

  /** How many lint results were applied so far (grows by one per applied result). */
  get lintVersion(): number {
    return this._lintVersion;
  }

  /** True when the notebook changed after the result shown was computed. */
  get stale(): boolean {
    return this._source !== null && this._contentVersion > this._appliedVersion;
  }

  /**
   * Follows another notebook (or none). The old notebook's result is dropped, its
   * pending request cancelled, and the new one linted at once.
   */
  setSource(source: ILintSource | null): void {
    if (source === this._source) {
      return;
    }
    this._clearTimer();
    this._abortAll();
    this._source = source;
    this._result = null;
    this._linted = null;
    this._fixNote = null;
    this._error = null;
    this._contentVersion++;
    this._sourceVersion = this._contentVersion;
    this._appliedVersion = -1;
    this._setState('idle', false);
    this._stateChanged.emit();
    if (source) {
      void this.lintNow();
    }
  }

  /** The notebook changed: re-lint after `debounceMs` of quiet (when auto-lint is on). */
  contentChanged(): void {
    if (!this._source) {
      return;
    }
    this._contentVersion++;
    if (!this._autoLint) {
      this._stateChanged.emit();
      return;
    }
    this._scheduleLint();
  }

  private _scheduleLint(): void {
    this._clearTimer();
    this._setState('linting');
    this._timer = setTimeout(() => {
      this._timer = null;
      void this.lintNow();
    }, this._debounceMs);
  }

  /** Lints the current content now (the "Lint notebook now" command). */
  async lintNow(): Promise<void> {
    const source = this._source;
    if (!source || this._disposed) {
      return;
    }
    this._clearTimer();
    const version = this._contentVersion;
    let notebook: unknown;
    try {
      notebook = source.notebook();
    } catch (error) {
      this._error = `cannot read the notebook: ${messageOf(error)}`;
      this._settle();
      return;
    }
    const controller = new AbortController();
    this._controllers.add(controller);
    this._setState('linting');
    try {
      const result = await this._client.lint(source.path || null, notebook, controller.signal);
      if (this._disposed || source !== this._source || version < this._sourceVersion) {
        return;
      }
      // A response for older content than the one shown must not replace it.
      if (version <= this._appliedVersion) {
        return;
      }
      this._appliedVersion = version;
      this._result = result;
      this._linted = notebook;
      this._error = null;
      this._lintVersion++;
    } catch (error) {
      if (isAbort(error) || this._disposed || source !== this._source) {
        return;
      }
      if (version < this._appliedVersion) {
        return;
      }
      this._error = messageOf(error);
    } finally {
      this._controllers.delete(controller);
      if (!this._disposed) {
        this._settle();
      }
    }
  }

  /** The notebook as it was sent for the result shown: what its fixes were computed from. */
  get lintedNotebook(): unknown {
    return this._linted;
  }

  /** Whether the result shown is of the notebook as it is now (its fixes apply as they are). */
  get current(): boolean {
    return this._result !== null && !this.stale && this._state === 'idle';
  }

  /** The findings of the result with a fix (`safe`: only the safe ones). */
  fixable(safe = false): IFinding[] {
    return (this._result?.findings ?? []).filter(
      f => !!f.fix && (!safe || f.fix.applicability === 'safe')
    );
  }

  /** A fix is being applied (the panel's Fix buttons wait). */
  get fixing(): boolean {
    return this._fixing;
  }

  /** What the last fix did or why it did not apply (one line), until the next notebook. */
  get fixNote(): { text: string; error: boolean } | null {
    return this._fixNote;
  }

  setFixState(fixing: boolean, note?: { text: string; error: boolean } | null): void {
    this._fixing = fixing;
    if (note !== undefined) {
      this._fixNote = note;
    }
    this._stateChanged.emit();
  }

  /** Findings that pass the filters, in notebook order. */
  get visibleFindings(): IFinding[] {
    if (!this._result) {
      return [];
    }
    return sortFindings(filterFindings(this._result.findings, this._filter));
  }

  /** How many findings the filters hide. */
  get hiddenCount(): number {
    return this._result ? this._result.findings.length - this.visibleFindings.length : 0;
  }

  /** The visible findings grouped as `groupBy` says. */
  get groups(): IFindingGroup[] {
    return groupFindings(this.visibleFindings, this._groupBy, this._families);
  }

  /** Counts by severity over all findings of the result. */
  get counts(): Record<Severity, number> {
    return countBySeverity(this._result?.findings ?? []);
  }

  /** One row per family of the score, with the findings the severity filter lets through. */
  get familyRows(): IFamilyRow[] {
    if (!this._result) {
      return [];
    }
    const visible = countByFamily(
      filterFindings(this._result.findings, { ...this._filter, family: null })
    );
    return this._result.score.families.map(f => ({
      key: f.key,
      title: f.title,
      weight: f.weight,
      score: f.score,
      findings: f.findings,
      visible: visible.get(f.key) ?? 0
    }));
  }

  /**
   * The visible findings of each cell of the notebook as it is now (0-based index),
   * given the ids of its cells in order.
   */
  findingsByCell(cellIds: readonly (string | null | undefined)[]): Map<number, IFinding[]> {
    return findingsByCell(this.visibleFindings, cellIds);
  }

  rule(code: string): IRuleInfo | undefined {
    return this._rules.get(code);
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._clearTimer();
    this._abortAll();
    Signal.clearData(this);
  }

  private _settle(): void {
    const waiting = this._timer !== null || this._controllers.size > 0;
    this._setState(waiting ? 'linting' : 'idle', false);
    this._stateChanged.emit();
  }

  private _setState(state: LintState, emit = true): void {
    if (state === this._state) {
      return;
    }
    this._state = state;
    if (emit) {
      this._stateChanged.emit();
    }
  }

  private _clearTimer(): void {
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
  }

  private _abortAll(): void {
    for (const controller of this._controllers) {
      controller.abort();
    }
    this._controllers.clear();
  }

  private _client: INb2prodClient;
  private _stateChanged = new Signal<this, void>(this);
  private _rules = new Map<string, IRuleInfo>();
  private _families: IFamilyInfo[] = [];
  private _severities: Severity[] = [...SEVERITIES];
  private _tags: ITagInfo[] = [];
  private _metadataError: string | null = null;
  private _metadataLoaded = false;
  private _debounceMs: number;
  private _autoLint: boolean;
  private _filter: IFindingFilter = { ...DEFAULT_FILTER };
  private _groupBy: GroupBy = 'family';
  private _source: ILintSource | null = null;
  private _result: ILintResult | null = null;
  private _linted: unknown = null;
  private _fixing = false;
  private _fixNote: { text: string; error: boolean } | null = null;
  private _error: string | null = null;
  private _state: LintState = 'idle';
  private _lintVersion = 0;
  private _contentVersion = 0;
  private _appliedVersion = -1;
  private _sourceVersion = 0;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _controllers = new Set<AbortController>();
  private _disposed = false;
}
