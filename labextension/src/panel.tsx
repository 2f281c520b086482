/**
 * The Readiness side panel: the view of a `ReadinessModel` and a `BuildModel`. It
 * reads the models and calls back into the plugin (`IPanelActions`) for anything that
 * touches the notebook. The score header and the families stay at the top; below them a
 * tab bar switches between the findings, the active cell's tags and the build, and only
 * the tab's content scrolls. Which tab is shown and whether the families are collapsed
 * is the `PanelViewModel`'s; the panel holds no state of its own beyond what is expanded.
 */
import { IRenderMimeRegistry, MimeModel } from '@jupyterlab/rendermime';
import {
  ReactWidget,
  caretDownIcon,
  caretRightIcon,
  checkIcon,
  closeIcon,
  folderIcon,
  refreshIcon,
  runIcon
} from '@jupyterlab/ui-components';
import { ISignal } from '@lumino/signaling';
import * as React from 'react';

import type { IFinding, Severity } from './api';
import { BuildModel, IStageRow } from './build';
import { GroupBy, SEVERITIES, findingLocation } from './findings';
import { readinessIcon } from './icons';
import { IFamilyRow, ReadinessModel } from './model';
import { percent, ratio, scoreLabel, scoreLevel } from './score';
import { vocabularyTags } from './tags';
import {
  BuildBadge,
  PANEL_TABS,
  PanelTab,
  PanelViewModel,
  TAB_LABELS,
  buildBadge,
  defaultOutput,
  familiesNote,
  gateNote,
  offerBuildAnyway,
  tabForKey
} from './view';

export const PANEL_ID = 'nb2prod-readiness';

export interface IActiveCellInfo {
  /** 0-based index of the cell in the notebook. */
  index: number;
  type: string;
  tags: string[];
}

/** What the panel asks of the plugin: everything that touches the notebook or the settings. */
export interface IPanelActions {
  openFinding(finding: IFinding): void;
  activeCell(): IActiveCellInfo | null;
  /** Emitted when the active cell, or its tags, changed. */
  readonly activeCellChanged: ISignal<unknown, void>;
  addTag(name: string): void;
  removeTag(name: string): void;
  lintNow(): void;
  setMinSeverity(severity: Severity): void;
  /** Saves and builds the current notebook; `gate: false` builds despite lint errors. */
  build(options: { verify: boolean; gate?: boolean }): void;
  replaceBuild(): void;
  openFolder(path: string): void;
  /** Applies the finding's fix to the live notebook (unsafe ones after a confirmation). */
  fixFinding(finding: IFinding): void;
  /** Fixes the whole notebook: the safe fixes, or all after a confirmation that shows the diff. */
  fixAll(unsafe: boolean): void;
}

export interface IReadinessPanelOptions {
  model: ReadinessModel;
  build: BuildModel;
  view: PanelViewModel;
  rendermime: IRenderMimeRegistry;
  actions: IPanelActions;
}

export class ReadinessPanel extends ReactWidget {
  constructor(options: IReadinessPanelOptions) {
    super();
    this._model = options.model;
    this._build = options.build;
    this._view = options.view;
    this._rendermime = options.rendermime;
    this._actions = options.actions;
    this.id = PANEL_ID;
    this.addClass('nb2prod-ReadinessPanel');
    this.title.icon = readinessIcon;
    this.title.caption = 'Readiness (nb2prod)';
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', 'nb2prod readiness');
    this._model.stateChanged.connect(this._refresh, this);
    this._build.changed.connect(this._onBuild, this);
    this._view.changed.connect(this._refresh, this);
    this._actions.activeCellChanged.connect(this._refresh, this);
    this._view.followBuild(this._build.phase);
    this._syncAttributes();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._model.stateChanged.disconnect(this._refresh, this);
    this._build.changed.disconnect(this._onBuild, this);
    this._view.changed.disconnect(this._refresh, this);
    this._actions.activeCellChanged.disconnect(this._refresh, this);
    super.dispose();
  }

  protected render(): JSX.Element {
    this._syncAttributes();
    return (
      <PanelView
        model={this._model}
        build={this._build}
        view={this._view}
        rendermime={this._rendermime}
        actions={this._actions}
      />
    );
  }

  private _refresh(): void {
    this._syncAttributes();
    this.update();
  }

  private _onBuild(): void {
    // A build that starts brings the Build tab forward (the view model's rule).
    this._view.followBuild(this._build.phase);
    this._refresh();
  }

  /**
   * The test hooks on the root: `data-state`, `data-lint-version`, `data-build-phase`,
   * `data-tab` and `data-server-ms` (the server's lint time of the result shown).
   */
  private _syncAttributes(): void {
    const data = this.node.dataset;
    data.state = this._model.state;
    data.lintVersion = String(this._model.lintVersion);
    data.buildPhase = this._build.phase;
    data.tab = this._view.tab;
    const result = this._model.result;
    data.serverMs = result ? String(result.elapsed_ms) : '';
  }

  private _model: ReadinessModel;
  private _build: BuildModel;
  private _view: PanelViewModel;
  private _rendermime: IRenderMimeRegistry;
  private _actions: IPanelActions;
}

interface IViewProps {
  model: ReadinessModel;
  build: BuildModel;
  view: PanelViewModel;
  rendermime: IRenderMimeRegistry;
  actions: IPanelActions;
}

function PanelView(props: IViewProps): JSX.Element {
  const { model, view, actions } = props;
  const source = model.source;
  const tab = view.tab;
  return (
    <div className="nb2prod-panel">
      <header className="nb2prod-header">
        <div className="nb2prod-header-text">
          <h2 className="nb2prod-title">Readiness</h2>
          <div className="nb2prod-path" title={source?.path ?? ''}>
            {source ? source.path : 'nb2prod'}
          </div>
        </div>
        {source && (
          <button
            className="nb2prod-icon-button nb2prod-lint-button"
            title="Lint the notebook now"
            aria-label="Lint the notebook now"
            onClick={() => actions.lintNow()}
          >
            <refreshIcon.react tag="span" className="nb2prod-icon" />
          </button>
        )}
      </header>
      {model.metadataError && (
        <div className="nb2prod-alert nb2prod-alert-error" role="alert">
          The nb2prod server extension did not answer: {model.metadataError}
        </div>
      )}
      {source ? (
        <>
          <Summary model={model} />
          <FixBar model={model} actions={actions} />
          <Families model={model} view={view} />
          <TabBar {...props} />
          <TabPanel tab="findings" current={tab} className="nb2prod-findings-section">
            <Findings {...props} />
          </TabPanel>
          <TabPanel tab="cell" current={tab} className="nb2prod-tags-section">
            <CellTags model={model} actions={actions} />
          </TabPanel>
          <TabPanel tab="build" current={tab} className="nb2prod-build-section">
            <Build build={props.build} model={model} view={view} actions={actions} />
          </TabPanel>
        </>
      ) : (
        <div className="nb2prod-empty nb2prod-empty-nonotebook">
          <readinessIcon.react tag="span" className="nb2prod-empty-icon" />
          <div className="nb2prod-empty-title">No notebook open</div>
          <div className="nb2prod-empty-text">
            Open a notebook to see its readiness score and findings.
          </div>
        </div>
      )}
    </div>
  );
}

const BADGE_LABELS: Record<Exclude<BuildBadge, null>, string> = {
  busy: 'building',
  ok: 'last build succeeded',
  error: 'last build failed',
  warn: 'the build waits for an answer'
};

/** Findings | Cell | Build: a WAI-ARIA tab list (arrow keys, Home and End move between tabs). */
function TabBar(props: IViewProps): JSX.Element {
  const { model, build, view, actions } = props;
  const buttons = React.useRef<Partial<Record<PanelTab, HTMLButtonElement | null>>>({});
  const visible = model.result ? model.visibleFindings.length : null;
  const cell = actions.activeCell();
  const badge = buildBadge(build.phase);
  const onKeyDown = (event: React.KeyboardEvent) => {
    const next = tabForKey(view.tab, event.key);
    if (next) {
      event.preventDefault();
      view.tab = next;
      buttons.current[next]?.focus();
    }
  };
  return (
    <div
      className="nb2prod-tabbar"
      role="tablist"
      aria-label="Readiness views"
      onKeyDown={onKeyDown}
    >
      {PANEL_TABS.map(tab => {
        const selected = view.tab === tab;
        return (
          <button
            key={tab}
            ref={node => {
              buttons.current[tab] = node;
            }}
            id={`nb2prod-tab-${tab}`}
            className={`nb2prod-tab${selected ? ' nb2prod-selected' : ''}`}
            data-tab={tab}
            role="tab"
            aria-selected={selected}
            aria-controls={`nb2prod-tabpanel-${tab}`}
            tabIndex={selected ? 0 : -1}
            onClick={() => (view.tab = tab)}
          >
            <span className="nb2prod-tab-label">{TAB_LABELS[tab]}</span>
            {tab === 'findings' && visible !== null && (
              <span className="nb2prod-tab-count" data-count={visible}>
                {visible}
              </span>
            )}
            {tab === 'cell' && cell && (
              <span
                className="nb2prod-tab-note"
                title={`The active cell is cell ${cell.index + 1}`}
              >
                {cell.index + 1}
              </span>
            )}
            {tab === 'build' && badge && (
              <span
                className={`nb2prod-tab-badge nb2prod-badge-${badge}`}
                data-badge={badge}
                role="img"
                aria-label={BADGE_LABELS[badge]}
                title={BADGE_LABELS[badge]}
              />
            )}
          </button>
        );
      })}
    </div>
  );
}

function TabPanel(props: {
  tab: PanelTab;
  current: PanelTab;
  className: string;
  children: React.ReactNode;
}): JSX.Element {
  const { tab, current, className, children } = props;
  return (
    <section
      id={`nb2prod-tabpanel-${tab}`}
      className={`nb2prod-tabpanel nb2prod-tabpanel-${tab} ${className}`}
      role="tabpanel"
      aria-labelledby={`nb2prod-tab-${tab}`}
      data-tab={tab}
      hidden={tab !== current}
    >
      {children}
    </section>
  );
}

function Summary({ model }: { model: ReadinessModel }): JSX.Element {
  const result = model.result;
  const counts = model.counts;
  let status: string;
  if (model.error) {
    status = model.error;
  } else if (model.state === 'linting') {
    status = result ? 'Updating…' : 'Linting…';
  } else if (model.stale) {
    status = 'Edited since the last lint';
  } else if (result) {
    status = `Linted in ${Math.round(result.elapsed_ms)} ms`;
  } else {
    status = '';
  }
  if (!result) {
    return (
      <section className="nb2prod-summary nb2prod-summary-pending">
        <div className="nb2prod-status" data-error={model.error ? 'true' : undefined}>
          {status || 'Waiting for the first lint…'}
        </div>
      </section>
    );
  }
  const total = Math.round(result.score.total);
  const level = scoreLevel(total);
  return (
    <section className={`nb2prod-summary nb2prod-level-${level}`} data-level={level}>
      <div className="nb2prod-score-line">
        <span className="nb2prod-score" aria-label={`Readiness score ${total} out of 100`}>
          {total}
        </span>
        <span className="nb2prod-score-max">/ 100</span>
        <span className="nb2prod-score-label">{scoreLabel(total, counts.error)}</span>
      </div>
      <div
        className="nb2prod-bar"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={total}
      >
        <div className="nb2prod-bar-fill" style={{ width: percent(total) }} />
      </div>
      <div className="nb2prod-counts">
        {[...SEVERITIES].reverse().map(sev => (
          <span key={sev} className={`nb2prod-count nb2prod-sev-${sev}`} data-severity={sev}>
            <span className="nb2prod-dot" />
            {counts[sev]} {countLabel(sev, counts[sev])}
          </span>
        ))}
      </div>
      <div
        className={`nb2prod-status${model.state === 'linting' ? ' nb2prod-status-busy' : ''}`}
        data-error={model.error ? 'true' : undefined}
      >
        {status}
      </div>
    </section>
  );
}

/** "Fix all safe" and the unsafe fixes, with the outcome of the last fix. */
function FixBar({
  model,
  actions
}: {
  model: ReadinessModel;
  actions: IPanelActions;
}): JSX.Element | null {
  const safe = model.fixable(true).length;
  const all = model.fixable().length;
  const note = model.fixNote;
  if (!model.result || (!all && !note)) {
    return null;
  }
  const busy = model.fixing;
  return (
    <section className="nb2prod-fixbar" data-fixable={all} data-safe={safe}>
      {all > 0 && (
        <div className="nb2prod-fixbar-buttons">
          <button
            className="nb2prod-button nb2prod-fix-all"
            disabled={busy || !safe}
            title="Apply every safe fix to the notebook (unsaved, undoable with Ctrl+Z in command mode)"
            onClick={() => actions.fixAll(false)}
          >
            <checkIcon.react tag="span" className="nb2prod-icon" />
            {busy ? 'Fixing…' : `Fix all safe (${safe})`}
          </button>
          {all > safe && (
            <button
              className="nb2prod-button nb2prod-button-secondary nb2prod-fix-unsafe"
              disabled={busy}
              title="Apply the safe and the unsafe fixes, after showing what changes"
              onClick={() => actions.fixAll(true)}
            >
              Unsafe fixes too ({all - safe})…
            </button>
          )}
        </div>
      )}
      {note && (
        <div
          className={`nb2prod-fix-note${note.error ? ' nb2prod-fix-note-error' : ''}`}
          data-error={note.error ? 'true' : 'false'}
          role="status"
        >
          {withCode(note.text)}
        </div>
      )}
    </section>
  );
}

function countLabel(sev: Severity, n: number): string {
  if (sev === 'info') {
    return 'info';
  }
  return n === 1 ? sev : `${sev}s`;
}

function Families({
  model,
  view
}: {
  model: ReadinessModel;
  view: PanelViewModel;
}): JSX.Element | null {
  const rows = model.familyRows;
  if (!rows.length) {
    return null;
  }
  const collapsed = view.familiesCollapsed;
  const selected = model.filter.family;
  const toggle = (row: IFamilyRow) => {
    model.filter = { ...model.filter, family: selected === row.key ? null : row.key };
    view.tab = 'findings';
  };
  const Caret = collapsed ? caretRightIcon : caretDownIcon;
  return (
    <section
      className={`nb2prod-families${collapsed ? ' nb2prod-collapsed' : ''}`}
      data-collapsed={collapsed ? 'true' : 'false'}
    >
      <button
        className="nb2prod-families-toggle"
        aria-expanded={!collapsed}
        aria-controls={collapsed ? undefined : 'nb2prod-family-list'}
        title={collapsed ? 'Show the points of each family' : 'Hide the families'}
        onClick={() => (view.familiesCollapsed = !collapsed)}
      >
        <Caret.react tag="span" className="nb2prod-caret" />
        <span className="nb2prod-families-title">Families</span>
        {collapsed && <span className="nb2prod-families-note">{familiesNote(rows)}</span>}
      </button>
      {!collapsed && (
        <div className="nb2prod-family-list" id="nb2prod-family-list">
          {rows.map(row => {
            const share = ratio(row.score, row.weight);
            const level = scoreLevel(share * 100);
            return (
              <button
                key={row.key}
                className={`nb2prod-family nb2prod-level-${level}${
                  selected === row.key ? ' nb2prod-selected' : ''
                }`}
                data-family={row.key}
                aria-pressed={selected === row.key}
                title={`${row.title}: ${formatPoints(row.score)} of ${row.weight} points, ${
                  row.findings
                } finding${row.findings === 1 ? '' : 's'}. Click to show only this family.`}
                onClick={() => toggle(row)}
              >
                <span className="nb2prod-family-title">{row.title}</span>
                <span className="nb2prod-family-bar" aria-hidden="true">
                  <span
                    className="nb2prod-family-bar-fill"
                    style={{ width: `${Math.round(share * 100)}%` }}
                  />
                </span>
                <span className="nb2prod-family-points">
                  {formatPoints(row.score)}/{row.weight}
                </span>
                <span
                  className={`nb2prod-family-count${row.visible ? '' : ' nb2prod-zero'}`}
                  data-count={row.visible}
                >
                  {row.visible}
                </span>
              </button>
            );
          })}
        </div>
      )}
    </section>
  );
}

function formatPoints(points: number): string {
  return Number.isInteger(points) ? String(points) : points.toFixed(1);
}

const SEVERITY_FILTER_LABELS: Record<Severity, string> = {
  info: 'All severities',
  warning: 'Warnings, errors',
  error: 'Errors only'
};

const GROUP_LABELS: Record<GroupBy, string> = {
  family: 'Family',
  severity: 'Severity',
  none: 'Cell'
};

function Findings(props: IViewProps): JSX.Element {
  const { model, actions } = props;
  const result = model.result;
  const groups = model.groups;
  const visible = groups.reduce((n, g) => n + g.findings.length, 0);
  const hidden = model.hiddenCount;
  const families = model.families.length ? model.families : model.familyRows;
  return (
    <>
      <div className="nb2prod-filters">
        <select
          className="nb2prod-select nb2prod-severity-filter"
          aria-label="Minimum severity"
          title="Minimum severity (also in Settings → nb2prod)"
          value={model.filter.minSeverity}
          onChange={e => actions.setMinSeverity(e.target.value as Severity)}
        >
          {SEVERITIES.map(s => (
            <option key={s} value={s}>
              {SEVERITY_FILTER_LABELS[s]}
            </option>
          ))}
        </select>
        <select
          className="nb2prod-select nb2prod-family-filter"
          aria-label="Family"
          title="Show one family only"
          value={model.filter.family ?? ''}
          onChange={e => (model.filter = { ...model.filter, family: e.target.value || null })}
        >
          <option value="">All families</option>
          {families.map(f => (
            <option key={f.key} value={f.key}>
              {f.title}
            </option>
          ))}
        </select>
        <div className="nb2prod-group-by">
          <span className="nb2prod-field-label">Group by</span>
          <span className="nb2prod-segmented" role="group" aria-label="Group findings by">
            {(Object.keys(GROUP_LABELS) as GroupBy[]).map(g => (
              <button
                key={g}
                className={`nb2prod-segment${model.groupBy === g ? ' nb2prod-selected' : ''}`}
                data-group-by={g}
                aria-pressed={model.groupBy === g}
                title={`Group by ${GROUP_LABELS[g].toLowerCase()}`}
                onClick={() => (model.groupBy = g)}
              >
                {GROUP_LABELS[g]}
              </button>
            ))}
          </span>
        </div>
      </div>
      <div className="nb2prod-scroll nb2prod-findings-scroll">
        {result && !visible && (
          <div className="nb2prod-empty nb2prod-empty-findings">
            <checkIcon.react tag="span" className="nb2prod-empty-icon nb2prod-ok" />
            {hidden ? (
              <>
                <div className="nb2prod-empty-title">Nothing at this filter</div>
                <div className="nb2prod-empty-text">
                  {hidden} finding{hidden === 1 ? ' is' : 's are'} hidden by the filters.
                </div>
              </>
            ) : (
              <div className="nb2prod-empty-title">No findings — ready</div>
            )}
          </div>
        )}
        {groups.map(group => (
          <div className="nb2prod-group" key={group.key} data-group={group.key}>
            {model.groupBy !== 'none' && (
              <div className="nb2prod-group-title">
                <span>{group.title}</span>
                <span className="nb2prod-group-count">{group.findings.length}</span>
              </div>
            )}
            <ul className="nb2prod-finding-list">
              {group.findings.map((f, i) => (
                <FindingRow
                  key={`${f.code}-${f.cell_id ?? f.cell}-${f.line}-${f.column}-${i}`}
                  finding={f}
                  {...props}
                />
              ))}
            </ul>
          </div>
        ))}
        {hidden > 0 && visible > 0 && (
          <div className="nb2prod-hidden-note">
            {hidden} more hidden by the filters
          </div>
        )}
      </div>
    </>
  );
}

function FindingRow(props: IViewProps & { finding: IFinding }): JSX.Element {
  const { finding: f, model, actions, rendermime } = props;
  const [open, setOpen] = React.useState(false);
  const rule = model.rule(f.code);
  const location = findingLocation(f);
  const Caret = open ? caretDownIcon : caretRightIcon;
  return (
    <li
      className={`nb2prod-finding nb2prod-sev-${f.severity}${open ? ' nb2prod-open' : ''}`}
      data-code={f.code}
      data-severity={f.severity}
      data-family={f.family}
      data-cell={f.cell ?? ''}
      data-cell-id={f.cell_id ?? ''}
      data-line={f.line ?? ''}
    >
      <div
        className="nb2prod-finding-main"
        role="button"
        tabIndex={0}
        title={f.cell === null ? 'About the whole notebook' : `Go to ${location}`}
        onClick={() => actions.openFinding(f)}
        onKeyDown={e => {
          if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            actions.openFinding(f);
          }
        }}
      >
        <span className="nb2prod-dot" aria-label={f.severity} />
        <div className="nb2prod-finding-body">
          <div className="nb2prod-finding-head">
            <span className="nb2prod-code">{f.code}</span>
            <span className="nb2prod-name">{f.name}</span>
            <span className="nb2prod-location">{location}</span>
          </div>
          <div className="nb2prod-message">{withCode(f.message)}</div>
        </div>
      </div>
      <div className="nb2prod-finding-actions">
      {f.fix && (
        <button
          className={`nb2prod-fix-button nb2prod-fix-${f.fix.applicability}`}
          data-applicability={f.fix.applicability}
          disabled={model.fixing}
          title={`${f.fix.message}${
            f.fix.applicability === 'unsafe' ? ' (unsafe: shows the change first)' : ''
          }`}
          onClick={() => actions.fixFinding(f)}
        >
          {f.fix.applicability === 'unsafe' ? 'Fix (unsafe)…' : 'Fix'}
        </button>
      )}
      {rule?.explanation && (
        <button
          className="nb2prod-explain-toggle"
          aria-expanded={open}
          onClick={() => setOpen(!open)}
        >
          <Caret.react tag="span" className="nb2prod-caret" />
          {open ? 'Hide explanation' : 'Explain'}
        </button>
      )}
      </div>
      {open && rule && <Explanation markdown={rule.explanation} rendermime={rendermime} />}
    </li>
  );
}

/** A message with its `code spans` shown as code (messages are plain text otherwise). */
function withCode(text: string): React.ReactNode[] {
  return text
    .split(/(`[^`\n]+`)/g)
    .filter(part => part !== '')
    .map((part, i) =>
      part.length > 2 && part.startsWith('`') && part.endsWith('`') ? (
        <code key={i} className="nb2prod-inline-code">
          {part.slice(1, -1)}
        </code>
      ) : (
        <React.Fragment key={i}>{part}</React.Fragment>
      )
    );
}

/** A rule's markdown documentation, rendered by JupyterLab's rendermime (untrusted: sanitized). */
function Explanation(props: {
  markdown: string;
  rendermime: IRenderMimeRegistry;
}): JSX.Element {
  const host = React.useRef<HTMLDivElement>(null);
  React.useEffect(() => {
    const node = host.current;
    if (!node) {
      return;
    }
    const renderer = props.rendermime.createRenderer('text/markdown');
    const model = new MimeModel({
      data: { 'text/markdown': props.markdown },
      trusted: false
    });
    let alive = true;
    void renderer.renderModel(model).then(() => {
      if (alive) {
        node.replaceChildren(renderer.node);
      }
    });
    return () => {
      alive = false;
      renderer.dispose();
      node.replaceChildren();
    };
  }, [props.markdown, props.rendermime]);
  return <div className="nb2prod-explanation" ref={host} />;
}

function CellTags({
  model,
  actions
}: {
  model: ReadinessModel;
  actions: IPanelActions;
}): JSX.Element {
  const cell = actions.activeCell();
  const vocabulary = model.tags;
  const names = vocabulary.map(t => t.name);
  const current = cell ? vocabularyTags(cell.tags, names) : [];
  const addable = vocabulary.filter(t => !current.includes(t.name));
  const meaning = (name: string) => vocabulary.find(t => t.name === name)?.meaning ?? '';
  return (
    <div className="nb2prod-tab-body">
      <h3 className="nb2prod-section-title">
        Cell tags
        {cell && (
          <span className="nb2prod-section-note" data-cell={cell.index + 1}>
            cell {cell.index + 1}
          </span>
        )}
      </h3>
      {!vocabulary.length ? (
        <div className="nb2prod-muted">The tag vocabulary is not loaded.</div>
      ) : !cell ? (
        <div className="nb2prod-muted">Select a cell to tag it.</div>
      ) : (
        <>
          <div className="nb2prod-tag-chips">
            {current.length === 0 && <span className="nb2prod-muted">No nb2prod tag</span>}
            {current.map(name => (
              <span className="nb2prod-tag-chip" key={name} data-tag={name} title={meaning(name)}>
                {name}
                <button
                  className="nb2prod-tag-remove"
                  aria-label={`Remove the tag ${name}`}
                  title={`Remove "${name}"`}
                  onClick={() => actions.removeTag(name)}
                >
                  <closeIcon.react tag="span" className="nb2prod-icon" />
                </button>
              </span>
            ))}
          </div>
          <select
            className="nb2prod-select nb2prod-tag-select"
            aria-label={`Add an nb2prod tag to cell ${cell.index + 1}`}
            value=""
            disabled={!addable.length}
            onChange={e => {
              if (e.target.value) {
                actions.addTag(e.target.value);
              }
            }}
          >
            <option value="">{addable.length ? 'Add a tag…' : 'All tags set'}</option>
            {addable.map(t => (
              <option key={t.name} value={t.name} title={t.meaning}>
                {t.name}
              </option>
            ))}
          </select>
          {current.length > 0 && (
            <ul className="nb2prod-tag-meanings">
              {current.map(name => (
                <li key={name}>
                  <strong>{name}</strong>: {meaning(name)}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </div>
  );
}

const STAGE_ICON: Record<string, string> = {
  pending: '○',
  running: '◔',
  done: '✓',
  skipped: '–',
  failed: '✕'
};

function Build({
  build,
  model,
  view,
  actions
}: {
  build: BuildModel;
  model: ReadinessModel;
  view: PanelViewModel;
  actions: IPanelActions;
}): JSX.Element {
  const [verify, setVerify] = React.useState(false);
  const phase = build.phase;
  const busy = build.busy;
  const label =
    phase === 'saving'
      ? 'Saving…'
      : phase === 'starting'
        ? 'Starting…'
        : phase === 'running'
          ? 'Building…'
          : 'Build service';
  const current = model.source?.path ?? '';
  // The build shown may be of another notebook (the panel follows the current one).
  const other = phase !== 'idle' && build.path !== null && build.path !== current;
  const output = (!other && build.output) || (current ? defaultOutput(current) : '');
  const gate = phase === 'idle' || phase === 'conflict' ? gateNote(model.counts.error) : null;
  const anyway = offerBuildAnyway({
    phase,
    failedStage: build.failedStage,
    gate: build.gate,
    lintErrors: model.counts.error,
    other
  });
  return (
    <div className="nb2prod-tab-body" data-phase={phase}>
      <div className="nb2prod-build-controls">
        <button
          className="nb2prod-button nb2prod-build-button"
          disabled={busy}
          onClick={() => actions.build({ verify })}
          title="Save the notebook and build its prediction service (nb2prod build)"
        >
          <runIcon.react tag="span" className="nb2prod-icon" />
          {label}
        </button>
        <label className="nb2prod-checkbox" title="Also install the generated project and run its tests">
          <input
            type="checkbox"
            checked={verify}
            disabled={busy}
            onChange={e => setVerify(e.target.checked)}
          />
          Verify
        </label>
      </div>
      {output && phase !== 'succeeded' && (
        <div className="nb2prod-build-target">
          Saves the notebook, then writes the service to{' '}
          <code className="nb2prod-inline-code">{output}/</code>
        </div>
      )}
      {gate && (
        <div className="nb2prod-build-gate">
          <span className="nb2prod-dot nb2prod-dot-error" />
          <span>
            {gate}{' '}
            <button className="nb2prod-link" onClick={() => (view.tab = 'findings')}>
              Show the findings
            </button>
          </span>
        </div>
      )}
      {other && (
        <div className="nb2prod-build-other nb2prod-muted">
          The last build, below, is of <code className="nb2prod-inline-code">{build.path}</code>
        </div>
      )}
      {phase === 'conflict' && (
        <div className="nb2prod-alert nb2prod-alert-warning nb2prod-build-conflict" role="alert">
          <div>{withCode(build.conflict ?? '')}</div>
          <button
            className="nb2prod-button nb2prod-button-warn nb2prod-build-replace"
            onClick={() => actions.replaceBuild()}
          >
            Replace
          </button>
        </div>
      )}
      {phase === 'succeeded' && build.result && (
        <div className="nb2prod-build-result" data-output={build.result.output}>
          <checkIcon.react tag="span" className="nb2prod-icon nb2prod-ok-icon" />
          <div className="nb2prod-build-result-text">
            <div className="nb2prod-ok">
              Service built
              {build.result.verified !== null && (
                <span className="nb2prod-muted">
                  {build.result.verified ? ' and verified' : ', not verified'}
                </span>
              )}
            </div>
            <button
              className="nb2prod-link nb2prod-build-output"
              title="Show the folder in the file browser"
              onClick={() => actions.openFolder(build.result!.output)}
            >
              <folderIcon.react tag="span" className="nb2prod-icon" />
              <span>{build.result.output}</span>
            </button>
          </div>
        </div>
      )}
      {phase === 'failed' && (
        <div className="nb2prod-alert nb2prod-alert-error nb2prod-build-error" role="alert">
          {withCode(build.error ?? '')}
        </div>
      )}
      {anyway && (
        <div className="nb2prod-build-anyway-row">
          <button
            className="nb2prod-button nb2prod-button-secondary nb2prod-build-anyway"
            onClick={() => actions.build({ verify, gate: false })}
            title="Build even though the lint finds errors: they are reported and the build goes on (nb2prod build --no-gate)"
          >
            Build anyway (skip the lint gate)
          </button>
        </div>
      )}
      {phase !== 'idle' && phase !== 'conflict' && (
        <ol className="nb2prod-build-stages" aria-label="Build stages">
          {build.rows.map(row => (
            <StageRow key={row.stage} row={row} />
          ))}
        </ol>
      )}
    </div>
  );
}

function StageRow({ row }: { row: IStageRow }): JSX.Element {
  return (
    <li
      className={`nb2prod-build-stage nb2prod-stage-${row.status}`}
      data-stage={row.stage}
      data-status={row.status}
    >
      <span className="nb2prod-stage-icon" aria-hidden="true">
        {STAGE_ICON[row.status] ?? '○'}
      </span>
      <span className="nb2prod-stage-name">{row.stage}</span>
      <span className="nb2prod-stage-message" title={row.message}>
        {row.message || (row.status === 'pending' ? '' : row.status)}
      </span>
      <span className="nb2prod-stage-time">
        {row.seconds !== null ? `${row.seconds.toFixed(1)} s` : ''}
      </span>
    </li>
  );
}

