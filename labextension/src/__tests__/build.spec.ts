import { IBuildEvent, Nb2prodClient } from '../api';
import {
  BuildModel,
  STAGES,
  failedStage,
  finishRows,
  initialProgress,
  reduceBuildEvents
} from '../build';
import { FakeServer, flush } from './fakeserver';

let index = 0;
function event(stage: string, status: IBuildEvent['status'], extra: Partial<IBuildEvent> = {}): IBuildEvent {
  return { index: index++, stage, status, message: '', seconds: null, detail: {}, ...extra };
}

beforeEach(() => {
  index = 0;
});

describe('reduceBuildEvents', () => {
  it('starts with one pending row per stage, in order', () => {
    const progress = initialProgress();
    expect(progress.rows.map(r => r.stage)).toEqual([...STAGES]);
    expect(progress.rows.every(r => r.status === 'pending')).toBe(true);
    expect(progress.next).toBe(0);
  });

  it('turns start/progress/done/skipped/failed into row states', () => {
    const events = [
      event('lint', 'start', { message: 'linting' }),
      event('lint', 'done', { seconds: 0.25, message: '0 errors' }),
      event('analyse', 'start'),
      event('analyse', 'progress', { message: 'reading cell 3' }),
      event('analyse', 'done', { seconds: 0.5 }),
      event('execute', 'start'),
      event('execute', 'progress', { message: 'cell 4 of 9' })
    ];
    const p = reduceBuildEvents(initialProgress(), events);
    const row = (s: string) => p.rows.find(r => r.stage === s)!;
    expect(row('lint')).toMatchObject({ status: 'done', seconds: 0.25, message: '0 errors' });
    // A `done` without a message keeps the last progress message.
    expect(row('analyse')).toMatchObject({ status: 'done', seconds: 0.5, message: 'reading cell 3' });
    expect(row('execute')).toMatchObject({ status: 'running', message: 'cell 4 of 9', seconds: null });
    expect(row('capture').status).toBe('pending');
    expect(p.next).toBe(7);

    const q = reduceBuildEvents(p, [
      event('execute', 'failed', { seconds: 2, message: 'NameError in cell 4' }),
      event('verify', 'skipped', { message: 'not asked' })
    ]);
    expect(q.rows.find(r => r.stage === 'execute')).toMatchObject({
      status: 'failed',
      seconds: 2,
      message: 'NameError in cell 4'
    });
    expect(q.rows.find(r => r.stage === 'verify')).toMatchObject({ status: 'skipped', message: 'not asked' });
    // The input was not modified.
    expect(p.rows.find(r => r.stage === 'execute')!.status).toBe('running');
  });

  it('ignores events it has already applied (overlapping polls)', () => {
    const first = [event('lint', 'start'), event('lint', 'done', { seconds: 1 })];
    const p = reduceBuildEvents(initialProgress(), first);
    const again = reduceBuildEvents(p, [...first, event('analyse', 'start')]);
    expect(again.rows.find(r => r.stage === 'lint')).toMatchObject({ status: 'done', seconds: 1 });
    expect(again.rows.find(r => r.stage === 'analyse')!.status).toBe('running');
    expect(again.next).toBe(3);
  });

  it('applies events in index order and adds a row for an unknown stage', () => {
    const a = event('lint', 'start');
    const b = event('lint', 'done', { seconds: 1 });
    const c = event('package', 'start', { message: 'new stage' });
    const p = reduceBuildEvents(initialProgress(), [b, c, a]);
    expect(p.rows.find(r => r.stage === 'lint')!.status).toBe('done');
    expect(p.rows[p.rows.length - 1]).toMatchObject({ stage: 'package', status: 'running' });
  });

  it('names the stage a build failed at', () => {
    const p = reduceBuildEvents(initialProgress(), [
      event('lint', 'start'),
      event('lint', 'failed', { message: '1 error(s)' })
    ]);
    expect(failedStage(p.rows)).toBe('lint');
    expect(failedStage(initialProgress().rows)).toBeNull();
    const q = reduceBuildEvents(initialProgress(), [event('lint', 'start'), event('execute', 'start')]);
    expect(failedStage(finishRows(q.rows, 'failed'))).toBe('lint');
  });

  it('settles rows still running when the job ends', () => {
    const p = reduceBuildEvents(initialProgress(), [event('lint', 'start')]);
    expect(finishRows(p.rows, 'failed').find(r => r.stage === 'lint')!.status).toBe('failed');
    expect(finishRows(p.rows, 'succeeded').find(r => r.stage === 'lint')!.status).toBe('done');
    expect(finishRows(p.rows, 'failed').find(r => r.stage === 'verify')!.status).toBe('pending');
  });
});

describe('BuildModel', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function job(status: string, events: IBuildEvent[], next: number, extra: object = {}) {
    return {
      id: 'abc123',
      path: 'dir/nb.ipynb',
      output: 'dir/nb-service',
      status,
      events,
      next,
      result: null,
      error: null,
      ...extra
    };
  }

  it('saves, starts the job, polls with `since` and ends with the result', async () => {
    const server = new FakeServer();
    const order: string[] = [];
    const polls = [
      job('running', [event('lint', 'start'), event('lint', 'done', { seconds: 0.1 })], 2),
      job('running', [event('analyse', 'start')], 3),
      job(
        'succeeded',
        [event('analyse', 'done', { seconds: 0.2 }), event('verify', 'skipped')],
        5,
        { result: { output: 'dir/nb-service', project: 'nb-service', package: 'nb_service', verified: null } }
      )
    ];
    server.route('POST builds', req => {
      order.push('start');
      expect(req.body).toEqual({ path: 'dir/nb.ipynb', force: false, verify: true });
      return { status: 202, body: { id: 'abc123', status: 'running', url: '/nb2prod/builds/abc123' } };
    });
    server.route('GET builds/<id>', () => ({ body: polls.shift() }));
    const model = new BuildModel(new Nb2prodClient(server.settings), { pollMs: 200 });
    const phases: string[] = [];
    model.changed.connect(() => phases.push(model.phase));

    await model.start('dir/nb.ipynb', {
      verify: true,
      save: async () => {
        order.push('save');
      }
    });
    expect(order).toEqual(['save', 'start']);
    expect(model.phase).toBe('running');
    expect(model.jobId).toBe('abc123');

    await jest.advanceTimersByTimeAsync(0);
    await flush();
    expect(model.rows.find(r => r.stage === 'lint')!.status).toBe('done');
    await jest.advanceTimersByTimeAsync(200);
    await flush();
    expect(model.rows.find(r => r.stage === 'analyse')!.status).toBe('running');
    await jest.advanceTimersByTimeAsync(200);
    await flush();

    expect(model.phase).toBe('succeeded');
    expect(model.result!.output).toBe('dir/nb-service');
    expect(model.rows.find(r => r.stage === 'verify')!.status).toBe('skipped');
    const sinces = server.requests
      .filter(r => r.path.startsWith('builds/'))
      .map(r => [r.path, r.query.get('since')]);
    expect(sinces).toEqual([
      ['builds/abc123', '0'],
      ['builds/abc123', '2'],
      ['builds/abc123', '3']
    ]);
    expect(phases.slice(0, 3)).toEqual(['saving', 'starting', 'running']);
    // No more polling once the job ended.
    await jest.advanceTimersByTimeAsync(2000);
    expect(server.requests).toHaveLength(4);
  });

  it('reports a failed job with its error line', async () => {
    const server = new FakeServer();
    server.route('POST builds', () => ({ status: 202, body: { id: 'f1', status: 'running', url: '' } }));
    server.route('GET builds/<id>', () => ({
      body: job('failed', [event('lint', 'start'), event('execute', 'start')], 2, {
        error: 'cell 4 raised NameError'
      })
    }));
    const model = new BuildModel(new Nb2prodClient(server.settings));
    await model.start('nb.ipynb');
    await jest.advanceTimersByTimeAsync(0);
    await flush();
    expect(model.phase).toBe('failed');
    expect(model.error).toBe('cell 4 raised NameError');
    expect(model.rows.find(r => r.stage === 'execute')!.status).toBe('failed');
  });

  it('offers Replace on 409 and retries with force', async () => {
    const server = new FakeServer();
    const bodies: any[] = [];
    server.route('POST builds', req => {
      bodies.push(req.body);
      return req.body.force
        ? { status: 202, body: { id: 'r1', status: 'running', url: '' } }
        : { status: 409, body: { message: 'dir/nb-service is not empty: use force to replace it' } };
    });
    server.route('GET builds/<id>', () => ({ body: job('running', [], 0) }));
    const model = new BuildModel(new Nb2prodClient(server.settings));
    let saves = 0;
    await model.start('dir/nb.ipynb', { save: async () => void saves++ });
    expect(model.phase).toBe('conflict');
    expect(model.conflict).toBe('dir/nb-service is not empty: use force to replace it');
    await model.replace();
    expect(model.phase).toBe('running');
    expect(bodies.map(b => b.force)).toEqual([false, true]);
    expect(saves).toBe(2);
    model.dispose();
  });

  it('builds anyway with gate false after a failure at the lint gate, and Replace keeps it', async () => {
    const server = new FakeServer();
    const bodies: any[] = [];
    let built = false;
    server.route('POST builds', req => {
      bodies.push(req.body);
      if (req.body.force || !built) {
        return { status: 202, body: { id: `b${bodies.length}`, status: 'running', url: '' } };
      }
      return { status: 409, body: { message: 'nb-service is not empty: build with force to replace it' } };
    });
    server.route('GET builds/<id>', () => {
      built = true;
      return {
        body: job('failed', [event('lint', 'start'), event('lint', 'failed', { message: '1 error(s)' })], 2, {
          error: 'lint found 1 error(s) that block the build: cell 3: NB102 … (fix them, or build anyway with "gate": false)'
        })
      };
    });
    const model = new BuildModel(new Nb2prodClient(server.settings));
    await model.start('nb.ipynb');
    await jest.advanceTimersByTimeAsync(0);
    await flush();
    expect(model.phase).toBe('failed');
    expect(model.gate).toBe(true);
    expect(model.failedStage).toBe('lint');
    // The request carries `gate` only to turn it off (the server's default is on).
    expect(bodies[0]).toEqual({ path: 'nb.ipynb', force: false, verify: false });

    await model.start('nb.ipynb', { gate: false });
    expect(model.phase).toBe('conflict');
    expect(model.failedStage).toBeNull();
    expect(model.gate).toBe(false);
    await model.replace();
    expect(bodies.slice(1)).toEqual([
      { path: 'nb.ipynb', force: false, verify: false, gate: false },
      { path: 'nb.ipynb', force: true, verify: false, gate: false }
    ]);
    model.dispose();
  });

  it('shows the message of a start refused because too many builds run (429)', async () => {
    const server = new FakeServer();
    const message = 'too many builds: 2 running, and this server runs at most 2 at a time; try again when one has ended';
    server.route('POST builds', () => ({ status: 429, body: { message } }));
    const model = new BuildModel(new Nb2prodClient(server.settings));
    await model.start('nb.ipynb');
    expect(model.phase).toBe('failed');
    expect(model.error).toBe(message);
    expect(model.failedStage).toBeNull();
    expect(model.busy).toBe(false);
  });

  it('fails with the server message when the start is refused', async () => {
    const server = new FakeServer();
    server.route('POST builds', () => ({ status: 403, body: { message: 'path is outside the server root' } }));
    const model = new BuildModel(new Nb2prodClient(server.settings));
    await model.start('../outside.ipynb');
    expect(model.phase).toBe('failed');
    expect(model.error).toBe('path is outside the server root');
    // Replace is only for conflicts.
    await model.replace();
    expect(server.requests).toHaveLength(1);
  });

  it('reports a build the server forgot (404 while polling)', async () => {
    const server = new FakeServer();
    server.route('POST builds', () => ({ status: 202, body: { id: 'gone', status: 'running', url: '' } }));
    server.route('GET builds/<id>', () => ({ status: 404, body: { message: 'unknown build gone' } }));
    const model = new BuildModel(new Nb2prodClient(server.settings));
    await model.start('nb.ipynb');
    await jest.advanceTimersByTimeAsync(0);
    await flush();
    expect(model.phase).toBe('failed');
    expect(model.error).toContain('no longer knows build gone');
  });

  it('ignores a second start while one runs', async () => {
    const server = new FakeServer();
    server.route('POST builds', () => ({ status: 202, body: { id: 'x', status: 'running', url: '' } }));
    server.route('GET builds/<id>', () => ({ body: job('running', [], 0) }));
    const model = new BuildModel(new Nb2prodClient(server.settings));
    await model.start('nb.ipynb');
    await model.start('nb.ipynb');
    expect(server.requests.filter(r => r.method === 'POST')).toHaveLength(1);
    model.dispose();
  });
});
