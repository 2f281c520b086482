/**
 * The nb2prod JupyterLab plugin: wires the models to the current notebook, the panel,
 * the cell markers, the settings and the commands.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Dialog, ICommandPalette, Notification, showDialog } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStateDB } from '@jupyterlab/statedb';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { IFinding, Nb2prodClient, Severity } from './api';
import { BuildModel } from './build';
import { resolveCellIndex } from './cells';
import { isSeverity } from './findings';
import { Fixer } from './fixer';
import { IEditableNotebook, outputsKey } from './fixes';
import { applyCellMarkers, clearCellMarkers, flashCell, liveCellIds } from './markers';
import { ILintSource, ReadinessModel } from './model';
import { IActiveCellInfo, IPanelActions, PANEL_ID, ReadinessPanel } from './panel';
import { addTag, removeTag, tagsOf } from './tags';
import { PanelViewModel, parseViewState } from './view';

export const PLUGIN_ID = 'nb2prod:plugin';
/** The key of the panel's view state (families collapsed) in JupyterLab's state database. */
const VIEW_STATE_KEY = `${PLUGIN_ID}:panel-view`;

export namespace CommandIDs {
  export const lint = 'nb2prod:lint';
  export const showPanel = 'nb2prod:show-panel';
  export const build = 'nb2prod:build';
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'nb2prod: readiness panel, cell tags and the Build action.',
  autoStart: true,
  requires: [INotebookTracker, IRenderMimeRegistry],
  optional: [ICommandPalette, ISettingRegistry, ILayoutRestorer, IStateDB],
  activate
};

export default plugin;

function activate(
  app: JupyterFrontEnd,
  tracker: INotebookTracker,
  rendermime: IRenderMimeRegistry,
  palette: ICommandPalette | null,
  settingRegistry: ISettingRegistry | null,
  restorer: ILayoutRestorer | null,
  state: IStateDB | null
): void {
  const client = new Nb2prodClient(app.serviceManager.serverSettings);
  const model = new ReadinessModel({ client });
  const build = new BuildModel(client);
  const view = new PanelViewModel();
  const activeCellChanged = new Signal<unknown, void>(model);
  let settings: ISettingRegistry.ISettings | null = null;
  let verifyBuild = false;
  let gateBuild = true;

  const current = (): NotebookPanel | null => tracker.currentWidget;

  const actions: IPanelActions = {
    activeCellChanged: activeCellChanged as ISignal<unknown, void>,
    openFinding: finding => void openFinding(finding),
    activeCell: (): IActiveCellInfo | null => {
      const notebook = current()?.content;
      const cell = notebook?.activeCell;
      if (!notebook || !cell || !cell.model) {
        return null;
      }
      return {
        index: notebook.activeCellIndex,
        type: cell.model.type,
        tags: tagsOf(cell.model.getMetadata('tags'))
      };
    },
    addTag: name => editActiveCellTags(tags => addTag(tags, name, model.tagNames)),
    removeTag: name => editActiveCellTags(tags => removeTag(tags, name)),
    lintNow: () => void model.lintNow(),
    setMinSeverity: severity => {
      if (settings) {
        void settings.set('minimumSeverity', severity).catch(reason => {
          console.warn('nb2prod: cannot save the minimum severity', reason);
          model.filter = { ...model.filter, minSeverity: severity };
        });
      } else {
        model.filter = { ...model.filter, minSeverity: severity };
      }
    },
    build: options => {
      verifyBuild = options.verify;
      gateBuild = options.gate ?? true;
      void app.commands.execute(CommandIDs.build);
    },
    replaceBuild: () => void build.replace(),
    fixFinding: finding => void fixer.fixFinding(finding),
    fixAll: unsafe => void fixer.fixAll(unsafe),
    openFolder: path =>
      void app.commands.execute('filebrowser:go-to-path', { path }).catch(reason => {
        Notification.error(`Cannot open ${path} in the file browser: ${reason}`);
      })
  };

  const fixer = new Fixer(client, model, {
    notebook: () => (bound && !bound.isDisposed && bound.model ? editable(bound) : null),
    snapshot: () => bound?.model?.toJSON() ?? null,
    confirm: async (title, diff, accept) => {
      const body = document.createElement('pre');
      body.className = 'nb2prod-fix-diff';
      body.textContent = diff;
      const answer = await showDialog({
        title,
        body: new Widget({ node: body }),
        buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: accept })]
      });
      return answer.button.accept;
    }
  });

  const panel = new ReadinessPanel({ model, build, view, rendermime, actions });
  app.shell.add(panel, 'right', { rank: 600 });
  if (restorer) {
    restorer.add(panel, PANEL_ID);
  }
  if (state) {
    // The families' collapsed state is remembered in the workspace, like other panels' layout.
    void Promise.all([state.fetch(VIEW_STATE_KEY), app.restored])
      .then(([saved]) => {
        view.restore(parseViewState(saved));
        let last = JSON.stringify(view.toJSON());
        view.changed.connect(() => {
          const next = view.toJSON();
          if (JSON.stringify(next) !== last) {
            last = JSON.stringify(next);
            void state.save(VIEW_STATE_KEY, next as unknown as ReadonlyPartialJSONObject);
          }
        });
      })
      .catch(reason => console.warn('nb2prod: cannot restore the panel layout', reason));
  }
  void model.loadMetadata();

  // -- the current notebook ---------------------------------------------------

  let bound: NotebookPanel | null = null;
  const disconnects: (() => void)[] = [];

  const refreshMarkers = () => {
    const nb = bound?.content;
    if (!nb || nb.isDisposed) {
      return;
    }
    applyCellMarkers(nb, model.findingsByCell(liveCellIds(nb)), () =>
      app.shell.activateById(PANEL_ID)
    );
  };

  const unbind = () => {
    for (const off of disconnects.splice(0)) {
      off();
    }
    if (bound && !bound.isDisposed) {
      clearCellMarkers(bound.content);
    }
    bound = null;
  };

  const bind = async (nbPanel: NotebookPanel | null) => {
    unbind();
    if (!nbPanel) {
      model.setSource(null);
      activeCellChanged.emit();
      return;
    }
    bound = nbPanel;
    model.setSource(null);
    await nbPanel.context.ready;
    if (bound !== nbPanel || nbPanel.isDisposed || !nbPanel.model) {
      return;
    }
    const nbModel = nbPanel.model;
    const source: ILintSource = {
      get path() {
        return nbPanel.context.localPath;
      },
      notebook: () => nbModel.toJSON()
    };
    const onContent = () => model.contentChanged();
    const onCells = () => refreshMarkers();
    let watchedCell = nbPanel.content.activeCell?.model ?? null;
    const onCellMetadata = () => activeCellChanged.emit();
    watchedCell?.metadataChanged.connect(onCellMetadata);
    const onActiveCell = () => {
      watchedCell?.metadataChanged.disconnect(onCellMetadata);
      watchedCell = nbPanel.content.activeCell?.model ?? null;
      watchedCell?.metadataChanged.connect(onCellMetadata);
      activeCellChanged.emit();
    };
    const onDisposed = () => {
      if (bound === nbPanel) {
        unbind();
        model.setSource(null);
        activeCellChanged.emit();
      }
    };
    nbModel.contentChanged.connect(onContent);
    nbModel.cells.changed.connect(onCells);
    nbPanel.content.activeCellChanged.connect(onActiveCell);
    nbPanel.disposed.connect(onDisposed);
    disconnects.push(
      () => nbModel.contentChanged.disconnect(onContent),
      () => nbModel.cells.changed.disconnect(onCells),
      () => nbPanel.content.activeCellChanged.disconnect(onActiveCell),
      () => watchedCell?.metadataChanged.disconnect(onCellMetadata),
      () => nbPanel.disposed.disconnect(onDisposed)
    );
    model.setSource(source);
    activeCellChanged.emit();
  };

  model.stateChanged.connect(refreshMarkers);
  tracker.currentChanged.connect((_, nbPanel) => void bind(nbPanel));
  void app.restored.then(() => bind(tracker.currentWidget));

  function editActiveCellTags(edit: (tags: string[]) => string[]): void {
    const cell = current()?.content.activeCell;
    if (!cell || !cell.model) {
      return;
    }
    let next: string[];
    try {
      next = edit(tagsOf(cell.model.getMetadata('tags')));
    } catch (error) {
      Notification.error(String((error as Error).message ?? error));
      return;
    }
    if (next.length) {
      cell.model.setMetadata('tags', next);
    } else {
      cell.model.deleteMetadata('tags');
    }
    activeCellChanged.emit();
  }

  async function openFinding(finding: IFinding): Promise<void> {
    const nbPanel = bound;
    if (!nbPanel || nbPanel.isDisposed) {
      return;
    }
    const notebook = nbPanel.content;
    const index = resolveCellIndex(finding, liveCellIds(notebook));
    if (index === null) {
      if (finding.cell !== null) {
        Notification.warning(
          `${finding.code}: cell ${finding.cell} is no longer in the notebook.`,
          { autoClose: 4000 }
        );
      }
      return;
    }
    app.shell.activateById(nbPanel.id);
    notebook.mode = 'command';
    notebook.activeCellIndex = index;
    notebook.deselectAll();
    const cell = notebook.widgets[index];
    if (!cell) {
      return;
    }
    if (finding.line && cell.editor) {
      const line = Math.max(0, Math.min(finding.line - 1, cell.editor.lineCount - 1));
      cell.editor.setCursorPosition({ line, column: Math.max(0, (finding.column ?? 1) - 1) });
    }
    await notebook.scrollToCell(cell, 'smart');
    flashCell(cell.node);
  }

  // -- settings ----------------------------------------------------------------

  const applySettings = (s: ISettingRegistry.ISettings) => {
    model.autoLint = s.get('autoLint').composite !== false;
    const severity = s.get('minimumSeverity').composite;
    if (isSeverity(severity) && severity !== model.filter.minSeverity) {
      model.filter = { ...model.filter, minSeverity: severity as Severity };
    }
    const debounce = s.get('debounceMs').composite;
    if (typeof debounce === 'number') {
      model.debounceMs = debounce;
    }
  };
  if (settingRegistry) {
    void Promise.all([settingRegistry.load(PLUGIN_ID), app.restored])
      .then(([loaded]) => {
        settings = loaded;
        applySettings(loaded);
        loaded.changed.connect(applySettings);
      })
      .catch(reason => console.warn('nb2prod: cannot load the settings', reason));
  }

  // -- commands ------------------------------------------------------------------

  const hasNotebook = () => current() !== null;
  app.commands.addCommand(CommandIDs.lint, {
    label: 'nb2prod: Lint notebook now',
    caption: 'Lint the current notebook as it is now, unsaved edits included',
    isEnabled: hasNotebook,
    execute: async () => {
      if (bound !== current()) {
        await bind(current());
      }
      await model.lintNow();
    }
  });
  app.commands.addCommand(CommandIDs.showPanel, {
    label: 'nb2prod: Show readiness panel',
    caption: 'Show the Readiness panel in the right sidebar',
    execute: () => app.shell.activateById(PANEL_ID)
  });
  app.commands.addCommand(CommandIDs.build, {
    label: 'nb2prod: Build service',
    caption: 'Save the notebook and build its prediction service',
    isEnabled: () => hasNotebook() && !build.busy,
    execute: async args => {
      // The panel's choices hold for this run only, whether it builds or not.
      const verify = typeof args.verify === 'boolean' ? args.verify : verifyBuild;
      const gate = typeof args.gate === 'boolean' ? args.gate : gateBuild;
      verifyBuild = false;
      gateBuild = true;
      const nbPanel = current();
      if (!nbPanel) {
        return;
      }
      app.shell.activateById(PANEL_ID);
      view.tab = 'build';
      await nbPanel.context.ready;
      await build.start(nbPanel.context.localPath, {
        verify,
        gate,
        save: () => nbPanel.context.save()
      });
    }
  });
  build.changed.connect(() => app.commands.notifyCommandChanged(CommandIDs.build));
  if (palette) {
    const category = 'nb2prod';
    for (const command of [CommandIDs.lint, CommandIDs.showPanel, CommandIDs.build]) {
      palette.addItem({ command, category });
    }
  }
}

/**
 * The live model of a notebook as fixes edit it. JupyterLab 4 keeps an undo history per
 * cell (Ctrl+Z in a cell, Edit → Undo) and one for the notebook's cells (Z in command
 * mode: deleted or moved cells). A fix that changes one cell is one transaction of that
 * cell, so Ctrl+Z there takes it back; a fix that changes several cells, deletes cells or
 * sets notebook metadata is one transaction of the notebook, which Z in command mode
 * takes back in one step.
 */
function editable(nbPanel: NotebookPanel): IEditableNotebook {
  const shared = nbPanel.model!.sharedModel;
  const cell = (index: number): any => shared.cells[index];
  type Undo = { stopCapturing(): void } | null | undefined;
  return {
    cells: () =>
      shared.cells.map((c: any) => ({
        id: typeof c.id === 'string' ? c.id : null,
        source: c.getSource(),
        outputs:
          c.cell_type === 'code'
            ? outputsKey(c.getOutputs(), c.execution_count)
            : outputsKey(undefined, undefined)
      })),
    metadata: key => shared.getMetadata(key),
    transact: (apply, index) => {
      const target: any = index === undefined ? shared : cell(index);
      // A step of its own: not merged with the typing just before or after it.
      const undo = target.undoManager as Undo;
      undo?.stopCapturing();
      target.transact(apply);
      undo?.stopCapturing();
    },
    updateSource: (index, start, end, text) => cell(index).updateSource(start, end, text),
    deleteCell: index => shared.deleteCell(index),
    clearOutputs: (index, output) => {
      const c = cell(index);
      if (c.cell_type !== 'code') {
        return;
      }
      if (output === null) {
        c.setOutputs([]);
        c.execution_count = null;
      } else {
        c.updateOutputs(output, output + 1, []);
      }
    },
    setMetadata: (key, value) => shared.setMetadata(key, value as any)
  };
}
