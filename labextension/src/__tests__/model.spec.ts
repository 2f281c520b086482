import { ILintResult, Nb2prodClient } from '../api';
import { ILintSource, ReadinessModel } from '../model';
import { FakeServer, deferred, flush } from './fakeserver';
import { RULES, TAGS, finding, lintResult } from './fixtures';

/** A notebook in the page: its content changes with `edit()`. */
function source(path = 'dir/nb.ipynb'): ILintSource & { edit(text: string): void; text: string } {
  return {
    path,
    text: 'v0',
    edit(text: string) {
      this.text = text;
    },
    notebook() {
      return { cells: [{ cell_type: 'code', source: this.text, metadata: {} }], nbformat: 4 };
    }
  };
}

function lintBody(req: { body: any }): string {
  return req.body.notebook.cells[0].source;
}

function setup(options: { debounceMs?: number; autoLint?: boolean } = {}) {
  const server = new FakeServer();
  server.route('GET rules', () => ({ body: RULES }));
  server.route('GET tags', () => ({ body: TAGS }));
  const model = new ReadinessModel({ client: new Nb2prodClient(server.settings), ...options });
  return { server, model };
}

const lints = (server: FakeServer) => server.requests.filter(r => r.path === 'lint');

describe('ReadinessModel metadata', () => {
  it('takes the rule table and the tag vocabulary from the server', async () => {
    const { server, model } = setup();
    await model.loadMetadata();
    expect(model.tagNames).toEqual(['parameters', 'predict', 'serve']);
    expect(model.families.map(f => f.key)).toEqual(['reproducibility', 'execution', 'security']);
    expect(model.rule('NB102')!.explanation).toContain('Seed the generator');
    expect(model.metadataError).toBeNull();
    // The token from the server settings was sent.
    expect(server.requests[0].headers.get('Authorization')).toBe('token secret-token');
  });

  it('keeps the error line when the server extension is missing', async () => {
    const server = new FakeServer();
    const model = new ReadinessModel({ client: new Nb2prodClient(server.settings) });
    await model.loadMetadata();
    expect(model.tags).toEqual([]);
    expect(model.metadataError).toBe('no route GET rules');
  });
});

describe('ReadinessModel linting', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('lints a new notebook at once and posts its path and content', async () => {
    const { server, model } = setup();
    server.route('POST lint', () => ({ body: lintResult([finding()]) }));
    const nb = source();
    model.setSource(nb);
    expect(model.state).toBe('linting');
    await flush(30);
    expect(lints(server)).toHaveLength(1);
    expect(lints(server)[0].body.path).toBe('dir/nb.ipynb');
    expect(lintBody(lints(server)[0])).toBe('v0');
    expect(model.state).toBe('idle');
    expect(model.lintVersion).toBe(1);
    expect(model.result!.findings[0].code).toBe('NB102');
    expect(model.stale).toBe(false);
  });

  it('debounces edits: one request after the quiet time, with the latest content', async () => {
    const { server, model } = setup();
    server.route('POST lint', req => ({ body: lintResult([], lintBody(req) === 'v3' ? 100 : 50) }));
    const nb = source();
    model.setSource(nb);
    await flush(30);
    expect(lints(server)).toHaveLength(1);

    for (const text of ['v1', 'v2', 'v3']) {
      nb.edit(text);
      model.contentChanged();
      await jest.advanceTimersByTimeAsync(300);
    }
    // 300 ms after the last edit: still waiting, and the panel says so.
    expect(lints(server)).toHaveLength(1);
    expect(model.state).toBe('linting');
    expect(model.stale).toBe(true);
    await jest.advanceTimersByTimeAsync(200);
    await flush(30);
    expect(lints(server)).toHaveLength(2);
    expect(lintBody(lints(server)[1])).toBe('v3');
    expect(model.result!.score.total).toBe(100);
    expect(model.state).toBe('idle');
    expect(model.lintVersion).toBe(2);
  });

  it('honours a configured debounce', async () => {
    const { server, model } = setup({ debounceMs: 1000 });
    server.route('POST lint', () => ({ body: lintResult([]) }));
    model.setSource(source());
    await flush(30);
    model.contentChanged();
    await jest.advanceTimersByTimeAsync(999);
    expect(lints(server)).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    await flush(30);
    expect(lints(server)).toHaveLength(2);
  });

  it('never lets an older response overwrite a newer one', async () => {
    const { server, model } = setup({ debounceMs: 100 });
    const pending: { text: string; answer: ReturnType<typeof deferred<{ body: ILintResult }>> }[] = [];
    server.route('POST lint', req => {
      const answer = deferred<{ body: ILintResult }>();
      pending.push({ text: lintBody(req), answer });
      return answer.promise;
    });
    const nb = source();
    model.setSource(nb);
    await flush(30);
    pending[0].answer.resolve({ body: lintResult([], 10) });
    await flush(30);
    expect(model.result!.score.total).toBe(10);

    nb.edit('old');
    model.contentChanged();
    await jest.advanceTimersByTimeAsync(100);
    nb.edit('new');
    model.contentChanged();
    await jest.advanceTimersByTimeAsync(100);
    await flush(30);
    expect(pending.map(p => p.text)).toEqual(['v0', 'old', 'new']);

    // The newer content's answer comes first...
    pending[2].answer.resolve({ body: lintResult([finding({ code: 'NB201' })], 90) });
    await flush(30);
    expect(model.result!.score.total).toBe(90);
    const version = model.lintVersion;
    // ...then the stale one: dropped.
    pending[1].answer.resolve({ body: lintResult([finding({ code: 'NB102' })], 20) });
    await flush(30);
    expect(model.result!.score.total).toBe(90);
    expect(model.result!.findings.map(f => f.code)).toEqual(['NB201']);
    expect(model.lintVersion).toBe(version);
    expect(model.state).toBe('idle');
  });

  it('applies an older response while the newer one is still on its way', async () => {
    const { server, model } = setup({ debounceMs: 100 });
    const answers: ReturnType<typeof deferred<{ body: ILintResult }>>[] = [];
    server.route('POST lint', () => {
      const answer = deferred<{ body: ILintResult }>();
      answers.push(answer);
      return answer.promise;
    });
    const nb = source();
    model.setSource(nb);
    await flush(30);
    nb.edit('v1');
    model.contentChanged();
    await jest.advanceTimersByTimeAsync(100);
    await flush(30);
    answers[0].resolve({ body: lintResult([], 40) });
    await flush(30);
    expect(model.result!.score.total).toBe(40);
    // The request for v1 is still running: the panel stays busy.
    expect(model.state).toBe('linting');
    answers[1].resolve({ body: lintResult([], 60) });
    await flush(30);
    expect(model.result!.score.total).toBe(60);
    expect(model.state).toBe('idle');
  });

  it('cancels the old notebook request when the notebook changes', async () => {
    const { server, model } = setup();
    const answers: ReturnType<typeof deferred<{ body: ILintResult }>>[] = [];
    server.route('POST lint', () => {
      const answer = deferred<{ body: ILintResult }>();
      answers.push(answer);
      return answer.promise;
    });
    model.setSource(source('a.ipynb'));
    await flush(30);
    const first = lints(server)[0];
    model.setSource(source('b.ipynb'));
    await flush(30);
    expect(first.signal!.aborted).toBe(true);
    answers[0].resolve({ body: lintResult([], 11) });
    await flush(30);
    expect(model.result).toBeNull();
    answers[1].resolve({ body: lintResult([], 22) });
    await flush(30);
    expect(model.result!.score.total).toBe(22);
    expect(lints(server).map(r => r.body.path)).toEqual(['a.ipynb', 'b.ipynb']);
  });

  it('drops a pending re-lint and the result when the notebook closes', async () => {
    const { server, model } = setup();
    server.route('POST lint', () => ({ body: lintResult([finding()]) }));
    model.setSource(source());
    await flush(30);
    model.contentChanged();
    model.setSource(null);
    await jest.advanceTimersByTimeAsync(1000);
    expect(lints(server)).toHaveLength(1);
    expect(model.result).toBeNull();
    expect(model.state).toBe('idle');
    expect(model.visibleFindings).toEqual([]);
  });

  it('does not re-lint on edits when auto-lint is off, and catches up when turned on', async () => {
    const { server, model } = setup({ autoLint: false });
    server.route('POST lint', () => ({ body: lintResult([]) }));
    model.setSource(source());
    await flush(30);
    model.contentChanged();
    await jest.advanceTimersByTimeAsync(2000);
    expect(lints(server)).toHaveLength(1);
    expect(model.stale).toBe(true);
    expect(model.state).toBe('idle');
    await model.lintNow();
    expect(lints(server)).toHaveLength(2);
    expect(model.stale).toBe(false);
    model.contentChanged();
    model.autoLint = true;
    await jest.advanceTimersByTimeAsync(500);
    await flush(30);
    expect(lints(server)).toHaveLength(3);
  });

  it('shows the server error line and recovers on the next lint', async () => {
    const { server, model } = setup();
    let bad = true;
    server.route('POST lint', () =>
      bad
        ? { status: 400, body: { message: 'invalid notebook: cells[0] has no cell_type' } }
        : { body: lintResult([]) }
    );
    model.setSource(source());
    await flush(30);
    expect(model.error).toBe('invalid notebook: cells[0] has no cell_type');
    expect(model.state).toBe('idle');
    bad = false;
    await model.lintNow();
    expect(model.error).toBeNull();
    expect(model.result).not.toBeNull();
  });
});

describe('ReadinessModel views of the result', () => {
  it('filters, groups and counts the findings; maps them to cells', async () => {
    const { server, model } = setup();
    await model.loadMetadata();
    server.route('POST lint', () => ({
      body: lintResult([
        finding({ code: 'NB102', severity: 'error', family: 'reproducibility', cell: 2, cell_id: 'b' }),
        finding({ code: 'NB104', severity: 'info', family: 'reproducibility', cell: 1, cell_id: 'a' }),
        finding({ code: 'NB304', severity: 'warning', family: 'execution', cell: 3, cell_id: 'c' })
      ])
    }));
    const states: string[] = [];
    model.stateChanged.connect(() => states.push(model.state));
    model.setSource(source());
    await flush(40);
    expect(states).toContain('idle');

    expect(model.visibleFindings.map(f => f.code)).toEqual(['NB104', 'NB102', 'NB304']);
    expect(model.groups.map(g => g.key)).toEqual(['reproducibility', 'execution']);
    expect(model.counts).toEqual({ error: 1, warning: 1, info: 1 });

    model.filter = { minSeverity: 'warning', family: null };
    expect(model.visibleFindings.map(f => f.code)).toEqual(['NB102', 'NB304']);
    expect(model.hiddenCount).toBe(1);
    const repro = model.familyRows.find(r => r.key === 'reproducibility')!;
    expect([repro.findings, repro.visible]).toEqual([2, 1]);

    model.filter = { minSeverity: 'info', family: 'execution' };
    expect(model.visibleFindings.map(f => f.code)).toEqual(['NB304']);

    model.filter = { minSeverity: 'info', family: null };
    model.groupBy = 'severity';
    expect(model.groups.map(g => g.key)).toEqual(['error', 'warning', 'info']);

    // Cells moved since the lint: the ids still find them.
    const byCell = model.findingsByCell(['c', 'x', 'a', 'b']);
    expect(byCell.get(0)!.map(f => f.code)).toEqual(['NB304']);
    expect(byCell.get(2)!.map(f => f.code)).toEqual(['NB104']);
    expect(byCell.get(3)!.map(f => f.code)).toEqual(['NB102']);
    expect(byCell.has(1)).toBe(false);
  });
});
