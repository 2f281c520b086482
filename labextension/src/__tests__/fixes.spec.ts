import { IFinding, IFixEdit, IFixResult, Nb2prodClient } from '../api';
import { Fixer } from '../fixer';
import {
  ICellState,
  IEditableNotebook,
  ISnapshot,
  applyOperations,
  describeEdits,
  fileChanges,
  outputsKey,
  planEdits,
  singleCell
} from '../fixes';
import { ILintSource, ReadinessModel } from '../model';
import { FakeServer } from './fakeserver';
import { finding, lintResult } from './fixtures';

interface ICell {
  id: string | null;
  source: string;
  outputs: unknown[];
  execution_count: number | null;
}

/** A notebook model in memory that records its transactions (the undo steps). */
class MemoryNotebook implements IEditableNotebook {
  constructor(cells: ICell[], metadata: Record<string, unknown> = {}) {
    this.data = { cells, metadata };
  }
  data: { cells: ICell[]; metadata: Record<string, unknown> };
  /** One entry per transaction: the cell index it was scoped to, or 'notebook'. */
  steps: (number | 'notebook')[] = [];
  inTransaction = false;

  cells(): ICellState[] {
    return this.data.cells.map(c => ({
      id: c.id,
      source: c.source,
      outputs: outputsKey(c.outputs, c.execution_count)
    }));
  }
  metadata(key: string): unknown {
    return this.data.metadata[key];
  }
  transact(apply: () => void, cell?: number): void {
    this.steps.push(cell ?? 'notebook');
    this.inTransaction = true;
    try {
      apply();
    } finally {
      this.inTransaction = false;
    }
  }
  private _check(): void {
    if (!this.inTransaction) {
      throw new Error('edit outside a transaction');
    }
  }
  updateSource(index: number, start: number, end: number, text: string): void {
    this._check();
    const c = this.data.cells[index];
    c.source = c.source.slice(0, start) + text + c.source.slice(end);
  }
  deleteCell(index: number): void {
    this._check();
    this.data.cells.splice(index, 1);
  }
  clearOutputs(index: number, output: number | null): void {
    this._check();
    if (output === null) {
      this.data.cells[index].outputs = [];
      this.data.cells[index].execution_count = null;
    } else {
      this.data.cells[index].outputs.splice(output, 1);
    }
  }
  setMetadata(key: string, value: unknown): void {
    this._check();
    this.data.metadata[key] = value;
  }
  /** The notebook as nbformat JSON (what the page posts). */
  toJSON(): ISnapshot {
    return JSON.parse(
      JSON.stringify({
        nbformat: 4,
        metadata: this.data.metadata,
        cells: this.data.cells.map(c => ({ cell_type: 'code', metadata: {}, ...c }))
      })
    );
  }
}

function book(): MemoryNotebook {
  return new MemoryNotebook([
    { id: 'a', source: '# 🎲 dice\nimport numpy as np', outputs: [], execution_count: 1 },
    { id: 'b', source: 'x = np.random.rand(3)', outputs: [{ output_type: 'stream' }], execution_count: 2 },
    { id: 'c', source: '', outputs: [], execution_count: null }
  ]);
}

// The seed after the import: Python offset 27 is UTF-16 offset 28 (the emoji is two units).
const SEED: IFixEdit = {
  kind: 'source',
  cell: 1,
  cell_id: 'a',
  start: 27,
  end: 27,
  start_utf16: 28,
  end_utf16: 28,
  text: '\nnp.random.seed(0)'
};

describe('planEdits and applyOperations', () => {
  it('applies a source edit by its UTF-16 offsets, as one step of that cell', () => {
    const nb = book();
    const plan = planEdits([SEED], nb.toJSON(), nb);
    expect(plan.ok).toBe(true);
    applyOperations(nb, (plan as any).operations);
    expect(nb.data.cells[0].source).toBe('# 🎲 dice\nimport numpy as np\nnp.random.seed(0)');
    expect(nb.steps).toEqual([0]);
  });

  it('converts Python offsets when the UTF-16 ones are missing', () => {
    const nb = book();
    const edit = { ...SEED, start_utf16: undefined, end_utf16: undefined };
    const plan = planEdits([edit], nb.toJSON(), nb);
    applyOperations(nb, (plan as any).operations);
    expect(nb.data.cells[0].source).toBe('# 🎲 dice\nimport numpy as np\nnp.random.seed(0)');
  });

  it('finds a cell by its id after cells moved, and deletes cells last, as one notebook step', () => {
    const nb = book();
    const snapshot = nb.toJSON();
    // The user moved cell c to the top after the lint.
    nb.data.cells.unshift(nb.data.cells.pop()!);
    const edits: IFixEdit[] = [
      { kind: 'delete_cell', cell: 3, cell_id: 'c' },
      SEED,
      { kind: 'clear_outputs', cell: 2, cell_id: 'b' },
      { kind: 'metadata', key: 'kernelspec', value: { name: 'python3' } }
    ];
    const plan = planEdits(edits, snapshot, nb);
    expect(plan.ok).toBe(true);
    expect(singleCell((plan as any).operations)).toBeUndefined();
    applyOperations(nb, (plan as any).operations);
    expect(nb.data.cells.map(c => c.id)).toEqual(['a', 'b']);
    expect(nb.data.cells[0].source).toContain('np.random.seed(0)');
    expect(nb.data.cells[1]).toMatchObject({ outputs: [], execution_count: null });
    expect(nb.data.metadata.kernelspec).toEqual({ name: 'python3' });
    expect(nb.steps).toEqual(['notebook']);
  });

  it('applies several edits of one cell from the end, keeping the offsets valid', () => {
    const nb = new MemoryNotebook([{ id: 'a', source: 'f(1)\ng(2)', outputs: [], execution_count: null }]);
    const edits: IFixEdit[] = [
      { kind: 'source', cell: 1, cell_id: 'a', start: 3, end: 3, text: ', seed=0' },
      { kind: 'source', cell: 1, cell_id: 'a', start: 8, end: 8, text: ', seed=0' }
    ];
    const plan = planEdits(edits, nb.toJSON(), nb);
    applyOperations(nb, (plan as any).operations);
    expect(nb.data.cells[0].source).toBe('f(1, seed=0)\ng(2, seed=0)');
  });

  it('refuses, changing nothing, when a cell was edited since the lint', () => {
    const nb = book();
    const snapshot = nb.toJSON();
    nb.data.cells[0].source = 'import numpy as np  # typed since';
    const plan = planEdits([SEED], snapshot, nb);
    expect(plan).toEqual({ ok: false, reason: 'cell 1 was edited since the lint' });
  });

  it('does not delete a cell the user typed into since the lint', () => {
    const nb = book();
    const snapshot = nb.toJSON();
    nb.data.cells[2].source = 'work in progress';
    const plan = planEdits([{ kind: 'delete_cell', cell: 3, cell_id: 'c' }], snapshot, nb);
    expect(plan.ok).toBe(false);
  });

  it('removes one output and keeps the others and the execution count', () => {
    const nb = book();
    nb.data.cells[1].outputs = [{ output_type: 'stream', text: 'keep' }, { output_type: 'stream', text: 'leak' }];
    const snapshot = nb.toJSON();
    const plan = planEdits([{ kind: 'clear_outputs', cell: 2, cell_id: 'b', output: 2 }], snapshot, nb);
    expect(plan.ok).toBe(true);
    if (plan.ok) {
      applyOperations(nb, plan.operations);
    }
    expect(nb.data.cells[1]).toMatchObject({ outputs: [{ output_type: 'stream', text: 'keep' }], execution_count: 2 });
    expect(describeEdits([{ kind: 'clear_outputs', cell: 2, cell_id: 'b', output: 2 }], snapshot)).toBe(
      '~~~ cell 2: output 2 removed'
    );
  });

  it('does not clear outputs of a cell that ran again since the lint', () => {
    const nb = book();
    const snapshot = nb.toJSON();
    nb.data.cells[1].execution_count = 7;
    const plan = planEdits([{ kind: 'clear_outputs', cell: 2, cell_id: 'b' }], snapshot, nb);
    expect(plan).toEqual({ ok: false, reason: 'cell 2 has run again since the lint' });
  });

  it('refuses a cell deleted since the lint, and metadata changed since', () => {
    const nb = book();
    const snapshot = nb.toJSON();
    nb.data.cells.shift();
    expect(planEdits([SEED], snapshot, nb).ok).toBe(false);
    const other = book();
    const snap2 = other.toJSON();
    other.data.metadata.kernelspec = { name: 'ir' };
    const plan = planEdits([{ kind: 'metadata', key: 'kernelspec', value: { name: 'python3' } }], snap2, other);
    expect(plan.ok).toBe(false);
  });

  it('shows an edit as the lines it changes', () => {
    const nb = book();
    expect(describeEdits([SEED], nb.toJSON())).toBe(
      '@@ cell 1, line 2\n-import numpy as np\n+import numpy as np\n+np.random.seed(0)'
    );
  });
});

describe('fileChanges', () => {
  it('writes the requirement files under the root and names the others', () => {
    const fix = {
      applicability: 'safe' as const,
      message: 'declare numpy',
      edits: [
        { kind: 'requirement' as const, file: '/srv/r/requirements.txt', package: 'numpy', version: '2.0',
          path: 'requirements.txt', before: null, after: 'numpy==2.0\n' },
        { kind: 'requirement' as const, file: '/elsewhere/pyproject.toml', package: 'numpy', version: '2.0',
          path: null, before: null, after: 'x' }
      ]
    };
    expect(fileChanges(fix)).toEqual({
      writes: [{ path: 'requirements.txt', before: null, after: 'numpy==2.0\n' }],
      refused: ['pyproject.toml']
    });
  });
});

/** Lets the fake server's answers through (real timers). */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await new Promise(resolve => setTimeout(resolve, 0));
  }
}

describe('Fixer', () => {
  function setup(nb: MemoryNotebook, confirm = true) {
    const server = new FakeServer();
    const client = new Nb2prodClient(server.settings);
    const model = new ReadinessModel({ client, debounceMs: 0 });
    const asked: string[] = [];
    const fixer = new Fixer(client, model, {
      notebook: () => nb,
      snapshot: () => nb.toJSON(),
      confirm: async (title, diff) => {
        asked.push(`${title}\n${diff}`);
        return confirm;
      }
    });
    const src: ILintSource = { path: 'dir/nb.ipynb', notebook: () => nb.toJSON() };
    return { server, model, fixer, asked, src };
  }

  const seeded: IFinding = finding({
    cell: 2,
    cell_id: 'b',
    fix: { applicability: 'safe', message: 'seed numpy after its import', edits: [SEED] }
  });

  it("applies a finding's fix to the live notebook, then lints again", async () => {
    const nb = book();
    const { server, model, fixer, src } = setup(nb);
    server.route('POST lint', () => ({ body: lintResult([seeded]) }));
    model.setSource(src);
    await flush();
    expect(model.fixable(true)).toHaveLength(1);
    expect(await fixer.fixFinding(seeded)).toBe(true);
    expect(nb.data.cells[0].source).toContain('np.random.seed(0)');
    expect(model.fixNote).toEqual({ text: 'Fixed NB102: seed numpy after its import', error: false });
    await flush();
    const lints = server.requests.filter(r => r.path === 'lint');
    expect(lints).toHaveLength(2);
    expect(lints[1].body.notebook.cells[0].source).toContain('np.random.seed(0)');
  });

  it('lints again instead of applying when the cell changed since the lint', async () => {
    const nb = book();
    const { server, model, fixer, src } = setup(nb);
    server.route('POST lint', () => ({ body: lintResult([seeded]) }));
    model.setSource(src);
    await flush();
    nb.data.cells[0].source = 'import numpy as np  # edited';
    expect(await fixer.fixFinding(seeded)).toBe(false);
    expect(nb.data.cells[0].source).toBe('import numpy as np  # edited');
    expect(nb.steps).toEqual([]);
    expect(model.fixNote?.error).toBe(true);
    expect(model.fixNote?.text).toContain('was edited since the lint');
    await flush();
    expect(server.requests.filter(r => r.path === 'lint')).toHaveLength(2);
  });

  it('asks before an unsafe fix and applies nothing when declined', async () => {
    const nb = book();
    const { server, model, fixer, asked, src } = setup(nb, false);
    const unsafe = finding({
      code: 'NB601',
      fix: { applicability: 'unsafe', message: 'read the key from the environment', edits: [SEED] }
    });
    server.route('POST lint', () => ({ body: lintResult([unsafe]) }));
    model.setSource(src);
    await flush();
    expect(await fixer.fixFinding(unsafe)).toBe(false);
    expect(asked[0]).toContain('Apply the unsafe fix of NB601?');
    expect(asked[0]).toContain('+np.random.seed(0)');
    expect(nb.steps).toEqual([]);
  });

  it('writes the dependency file first, and applies nothing when it changed on disk (409)', async () => {
    const nb = book();
    const { server, model, fixer, src } = setup(nb);
    const declare = finding({
      code: 'NB201',
      fix: {
        applicability: 'safe',
        message: 'declare numpy',
        edits: [
          { kind: 'requirement', file: '/r/requirements.txt', package: 'numpy', version: '2.0',
            path: 'requirements.txt', before: 'pandas\n', after: 'pandas\nnumpy==2.0\n' },
          SEED
        ]
      }
    });
    server.route('POST lint', () => ({ body: lintResult([declare]) }));
    server.route('POST fix/file', () => ({
      status: 409,
      body: { message: 'requirements.txt changed since the fix was computed: lint again and fix again' }
    }));
    model.setSource(src);
    await flush();
    expect(await fixer.fixFinding(declare)).toBe(false);
    const write = server.requests.find(r => r.path === 'fix/file')!;
    expect(write.body).toEqual({ path: 'requirements.txt', before: 'pandas\n', after: 'pandas\nnumpy==2.0\n' });
    expect(nb.steps).toEqual([]);
    expect(model.fixNote?.text).toContain('changed since the fix was computed');
  });

  it('fixes all safe through the server and applies its edits and files', async () => {
    const nb = book();
    const { server, model, fixer, asked, src } = setup(nb);
    server.route('POST lint', () => ({ body: lintResult([seeded]) }));
    const answer: IFixResult = {
      path: 'dir/nb.ipynb',
      unsafe: false,
      fixed: { NB102: 1, NB703: 1, NB203: 1 },
      fixed_total: 3,
      edits: [SEED, { kind: 'delete_cell', cell: 3, cell_id: 'c' }],
      files: [{ path: 'dir/requirements.txt', name: 'requirements.txt', before: null, after: 'numpy==2.0\n',
                created: true, writable: true }],
      diff: '--- nb:cell 3 (deleted)',
      remaining: 0,
      elapsed_ms: 5
    };
    server.route('POST fix', () => ({ body: answer }));
    server.route('POST fix/file', req => ({ body: { path: req.body.path, written: true, created: true } }));
    model.setSource(src);
    await flush();
    expect(await fixer.fixAll(false)).toBe(true);
    const posted = server.requests.find(r => r.path === 'fix')!;
    expect(posted.body.unsafe).toBe(false);
    expect(posted.body.path).toBe('dir/nb.ipynb');
    expect(asked).toEqual([]); // safe fixes apply without a question
    expect(nb.data.cells.map(c => c.id)).toEqual(['a', 'b']);
    expect(nb.steps).toEqual(['notebook']);
    expect(server.requests.find(r => r.path === 'fix/file')!.body.path).toBe('dir/requirements.txt');
    expect(model.fixNote).toEqual({ text: 'Fixed 3 findings (NB102, NB203, NB703)', error: false });
  });

  it('shows the diff of all fixes before applying unsafe ones', async () => {
    const nb = book();
    const { server, model, fixer, asked, src } = setup(nb, false);
    server.route('POST lint', () => ({ body: lintResult([seeded]) }));
    server.route('POST fix', () => ({
      body: { path: null, unsafe: true, fixed: { NB102: 1 }, fixed_total: 1, edits: [SEED], files: [],
              diff: '@@ the diff @@', remaining: 0, elapsed_ms: 1 }
    }));
    model.setSource(src);
    await flush();
    expect(await fixer.fixAll(true)).toBe(false);
    expect(server.requests.find(r => r.path === 'fix')!.body.unsafe).toBe(true);
    expect(asked[0]).toContain('@@ the diff @@');
    expect(nb.steps).toEqual([]);
  });
});
