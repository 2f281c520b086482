import { BuildModel, BuildPhase } from '../build';
import { Nb2prodClient } from '../api';
import {
  PANEL_TABS,
  PanelTab,
  PanelViewModel,
  buildBadge,
  defaultOutput,
  familiesNote,
  gateNote,
  offerBuildAnyway,
  parseViewState,
  tabAfterBuildPhase,
  tabForKey
} from '../view';
import { FakeServer, deferred, flush } from './fakeserver';

const PHASES: BuildPhase[] = [
  'idle',
  'saving',
  'starting',
  'running',
  'succeeded',
  'failed',
  'conflict'
];

describe('tabAfterBuildPhase', () => {
  it('shows the Build tab when a build starts, whatever tab was shown', () => {
    for (const tab of PANEL_TABS) {
      for (const from of ['idle', 'succeeded', 'failed', 'conflict'] as BuildPhase[]) {
        expect(tabAfterBuildPhase(tab, from, 'saving')).toBe('build');
        // A start without a save (no save callback) goes straight to 'starting'.
        expect(tabAfterBuildPhase(tab, from, 'starting')).toBe('build');
      }
    }
  });

  it('shows the Build tab on a conflict, which waits for Replace', () => {
    expect(tabAfterBuildPhase('findings', 'starting', 'conflict')).toBe('build');
  });

  it('leaves the tab the user chose while the build runs and when it ends', () => {
    expect(tabAfterBuildPhase('findings', 'saving', 'starting')).toBe('findings');
    expect(tabAfterBuildPhase('cell', 'starting', 'running')).toBe('cell');
    expect(tabAfterBuildPhase('findings', 'running', 'running')).toBe('findings');
    expect(tabAfterBuildPhase('findings', 'running', 'succeeded')).toBe('findings');
    expect(tabAfterBuildPhase('cell', 'running', 'failed')).toBe('cell');
    expect(tabAfterBuildPhase('findings', 'succeeded', 'idle')).toBe('findings');
  });

  it('changes nothing when the phase does not change', () => {
    for (const phase of PHASES) {
      expect(tabAfterBuildPhase('findings', phase, phase)).toBe('findings');
    }
  });
});

describe('buildBadge', () => {
  it('marks a running build, its success, its failure and a pending conflict', () => {
    expect(PHASES.map(buildBadge)).toEqual([null, 'busy', 'busy', 'busy', 'ok', 'error', 'warn']);
  });
});

describe('tabForKey', () => {
  it('walks the tabs with the arrow keys, wrapping, and jumps with Home and End', () => {
    expect(PANEL_TABS).toEqual(['findings', 'cell', 'build']);
    expect(tabForKey('findings', 'ArrowRight')).toBe('cell');
    expect(tabForKey('cell', 'ArrowRight')).toBe('build');
    expect(tabForKey('build', 'ArrowRight')).toBe('findings');
    expect(tabForKey('findings', 'ArrowLeft')).toBe('build');
    expect(tabForKey('build', 'ArrowLeft')).toBe('cell');
    expect(tabForKey('cell', 'Home')).toBe('findings');
    expect(tabForKey('findings', 'End')).toBe('build');
  });

  it('ignores other keys', () => {
    for (const key of ['Enter', ' ', 'ArrowDown', 'Tab', 'a']) {
      expect(tabForKey('cell', key)).toBeNull();
    }
  });
});

describe('parseViewState', () => {
  it('takes a saved collapsed state', () => {
    expect(parseViewState({ familiesCollapsed: true })).toEqual({ familiesCollapsed: true });
    expect(parseViewState({ familiesCollapsed: false, other: 1 })).toEqual({
      familiesCollapsed: false
    });
  });

  it('falls back to the defaults (expanded) on anything else', () => {
    for (const raw of [undefined, null, 'yes', 3, [], [true], {}, { familiesCollapsed: 'true' }]) {
      expect(parseViewState(raw)).toEqual({ familiesCollapsed: false });
    }
  });
});

describe('defaultOutput', () => {
  it("is the notebook's stem + -service, beside it", () => {
    expect(defaultOutput('doubler/doubler.ipynb')).toBe('doubler/doubler-service');
    expect(defaultOutput('churn.ipynb')).toBe('churn-service');
    expect(defaultOutput('a/b.c/model.v2.ipynb')).toBe('a/b.c/model.v2-service');
    expect(defaultOutput('dir/.hidden')).toBe('dir/.hidden-service');
  });
});

describe('gateNote', () => {
  it('warns when errors will stop the build at its lint stage', () => {
    expect(gateNote(0)).toBeNull();
    expect(gateNote(Number.NaN)).toBeNull();
    expect(gateNote(1)).toBe('1 error will stop the build at its lint stage.');
    expect(gateNote(3)).toBe('3 errors will stop the build at its lint stage.');
  });
});

describe('offerBuildAnyway', () => {
  const base = { phase: 'idle' as BuildPhase, failedStage: null, gate: true, lintErrors: 0 };

  it('is offered when the last build failed at its lint stage with the gate on', () => {
    expect(offerBuildAnyway({ ...base, phase: 'failed', failedStage: 'lint' })).toBe(true);
    // ...even when the panel's lint shows no error (yet, or any more).
    expect(offerBuildAnyway({ ...base, phase: 'failed', failedStage: 'lint', lintErrors: 2 })).toBe(true);
  });

  it("is offered when the panel's lint shows errors and no build runs", () => {
    for (const phase of ['idle', 'failed'] as BuildPhase[]) {
      expect(offerBuildAnyway({ ...base, phase, lintErrors: 1 })).toBe(true);
      expect(offerBuildAnyway({ ...base, phase, lintErrors: 0 })).toBe(false);
    }
    // Not beside a success (a build that skipped the gate, or the errors are new).
    expect(offerBuildAnyway({ ...base, phase: 'succeeded', gate: false, lintErrors: 1 })).toBe(false);
    // A failure at another stage is not the gate's.
    expect(offerBuildAnyway({ ...base, phase: 'failed', failedStage: 'execute' })).toBe(false);
    expect(offerBuildAnyway({ ...base, phase: 'failed', failedStage: 'execute', lintErrors: 1 })).toBe(true);
  });

  it('is not offered while a build runs or waits for Replace', () => {
    for (const phase of ['saving', 'starting', 'running', 'conflict'] as BuildPhase[]) {
      expect(offerBuildAnyway({ ...base, phase, lintErrors: 3 })).toBe(false);
      expect(offerBuildAnyway({ ...base, phase, failedStage: 'lint', lintErrors: 3 })).toBe(false);
    }
  });

  it('is not offered again when a build without the gate failed at lint (another reason)', () => {
    expect(offerBuildAnyway({ ...base, phase: 'failed', failedStage: 'lint', gate: false })).toBe(false);
    expect(
      offerBuildAnyway({ ...base, phase: 'failed', failedStage: 'lint', gate: false, lintErrors: 1 })
    ).toBe(false);
  });

  it("follows the panel's notebook when the last build is of another one", () => {
    const failed = { ...base, phase: 'failed' as BuildPhase, failedStage: 'lint', other: true };
    expect(offerBuildAnyway(failed)).toBe(false);
    expect(offerBuildAnyway({ ...failed, lintErrors: 1 })).toBe(true);
    expect(offerBuildAnyway({ ...failed, gate: false, lintErrors: 1 })).toBe(true);
    expect(offerBuildAnyway({ ...base, phase: 'succeeded', other: true, lintErrors: 1 })).toBe(true);
  });
});

describe('familiesNote', () => {
  it('counts the families below full marks', () => {
    const rows = [
      { score: 10, weight: 20 },
      { score: 15, weight: 15 },
      { score: 7.5, weight: 10 }
    ];
    expect(familiesNote(rows)).toBe('2 of 3 below full marks');
    expect(familiesNote([{ score: 15, weight: 15 }])).toBe('all at full marks');
    expect(familiesNote([])).toBe('');
  });
});

describe('PanelViewModel', () => {
  it('opens on the findings with the families expanded, and signals each change once', () => {
    const view = new PanelViewModel();
    const seen: [PanelTab, boolean][] = [];
    view.changed.connect(() => seen.push([view.tab, view.familiesCollapsed]));
    expect(view.tab).toBe('findings');
    expect(view.familiesCollapsed).toBe(false);
    view.tab = 'cell';
    view.tab = 'cell';
    view.familiesCollapsed = true;
    view.familiesCollapsed = true;
    view.tab = 'nonsense' as PanelTab;
    expect(seen).toEqual([
      ['cell', false],
      ['cell', true]
    ]);
    expect(view.toJSON()).toEqual({ familiesCollapsed: true });
  });

  it('restores the collapsed state but not the tab', () => {
    const view = new PanelViewModel();
    view.tab = 'build';
    view.restore(parseViewState({ familiesCollapsed: true }));
    expect(view.familiesCollapsed).toBe(true);
    expect(view.tab).toBe('build');
    expect(new PanelViewModel({ familiesCollapsed: true }).familiesCollapsed).toBe(true);
  });

  describe('with a real BuildModel', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    function job(status: string, extra: Record<string, unknown> = {}) {
      return {
        id: 'job1',
        path: 'nb.ipynb',
        output: 'nb-service',
        status,
        events: [],
        next: 0,
        result: null,
        error: null,
        ...extra
      };
    }

    it("shows the Build tab as the build starts, and keeps the user's tab at its end", async () => {
      const server = new FakeServer();
      const polls = [
        job('running'),
        job('succeeded', {
          result: {
            output: 'nb-service',
            project: 'nb-service',
            package: 'nb_service',
            verified: null
          }
        })
      ];
      server.route('POST builds', () => ({
        status: 202,
        body: { id: 'job1', status: 'running', url: '' }
      }));
      server.route('GET builds/<id>', () => ({ body: polls.shift() }));
      const build = new BuildModel(new Nb2prodClient(server.settings), { pollMs: 100 });
      const view = new PanelViewModel();
      build.changed.connect(() => view.followBuild(build.phase));
      const tabs: PanelTab[] = [];
      view.changed.connect(() => tabs.push(view.tab));

      const saved = deferred<void>();
      const started = build.start('nb.ipynb', { save: () => saved.promise });
      // Still saving: the Build tab is already shown, before any request.
      expect(build.phase).toBe('saving');
      expect(view.tab).toBe('build');
      expect(server.requests).toHaveLength(0);
      // The user goes back to the findings while it runs.
      view.tab = 'findings';
      saved.resolve();
      await started;
      expect(build.phase).toBe('running');
      await jest.advanceTimersByTimeAsync(0);
      await flush();
      await jest.advanceTimersByTimeAsync(100);
      await flush();
      expect(build.phase).toBe('succeeded');
      expect(view.tab).toBe('findings');
      expect(tabs).toEqual(['build', 'findings']);
      expect(buildBadge(build.phase)).toBe('ok');
      build.dispose();
    });

    it('shows the Build tab again for the next build and for a conflict', async () => {
      const server = new FakeServer();
      server.route('POST builds', () => ({
        status: 409,
        body: { message: 'nb-service is not empty: use force to replace it' }
      }));
      const build = new BuildModel(new Nb2prodClient(server.settings));
      const view = new PanelViewModel();
      build.changed.connect(() => view.followBuild(build.phase));
      await build.start('nb.ipynb');
      expect(build.phase).toBe('conflict');
      expect(view.tab).toBe('build');
      view.tab = 'cell';
      await build.start('nb.ipynb');
      expect(build.phase).toBe('conflict');
      expect(view.tab).toBe('build');
      build.dispose();
    });
  });
});
