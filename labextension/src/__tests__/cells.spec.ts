import { cellMarker, findingsByCell, resolveCellIndex } from '../cells';
import { finding } from './fixtures';

describe('resolveCellIndex', () => {
  const ids = ['a1', 'b2', 'c3'];

  it('maps by cell id first, even when the index disagrees', () => {
    expect(resolveCellIndex({ cell: 1, cell_id: 'c3' }, ids)).toBe(2);
    // A cell was inserted above since the lint: the id still finds the right cell.
    expect(resolveCellIndex({ cell: 2, cell_id: 'b2' }, ['new', ...ids])).toBe(2);
  });

  it('maps the 1-based index to a 0-based cell when there is no id', () => {
    expect(resolveCellIndex({ cell: 1, cell_id: null }, ids)).toBe(0);
    expect(resolveCellIndex({ cell: 3, cell_id: null }, ids)).toBe(2);
  });

  it('falls back to the index when the notebook has no ids', () => {
    expect(resolveCellIndex({ cell: 2, cell_id: 'zz' }, [null, null, null])).toBe(1);
  });

  it('gives null for a missing cell', () => {
    // The cell with that id was deleted.
    expect(resolveCellIndex({ cell: 2, cell_id: 'gone' }, ids)).toBeNull();
    // The index is past the end, or not positive.
    expect(resolveCellIndex({ cell: 4, cell_id: null }, ids)).toBeNull();
    expect(resolveCellIndex({ cell: 0, cell_id: null }, ids)).toBeNull();
    expect(resolveCellIndex({ cell: 1, cell_id: null }, [])).toBeNull();
  });

  it('gives null for a finding about the whole notebook', () => {
    expect(resolveCellIndex({ cell: null, cell_id: null }, ids)).toBeNull();
  });
});

describe('findingsByCell', () => {
  it('collects the findings of each cell and leaves out unmappable ones', () => {
    const findings = [
      finding({ code: 'NB102', cell: 1, cell_id: 'a1' }),
      finding({ code: 'NB304', cell: 3, cell_id: 'c3' }),
      finding({ code: 'NB201', cell: 1, cell_id: 'a1', severity: 'warning' }),
      finding({ code: 'NB601', cell: null, cell_id: null }),
      finding({ code: 'NB999', cell: 2, cell_id: 'deleted' })
    ];
    const byCell = findingsByCell(findings, ['a1', 'b2', 'c3']);
    expect([...byCell.keys()].sort()).toEqual([0, 2]);
    expect(byCell.get(0)!.map(f => f.code)).toEqual(['NB102', 'NB201']);
    expect(byCell.get(2)!.map(f => f.code)).toEqual(['NB304']);
  });
});

describe('cellMarker', () => {
  it('is null without findings', () => {
    expect(cellMarker([])).toBeNull();
  });

  it('takes the worst severity and lists the codes most severe first', () => {
    const marker = cellMarker([
      finding({ code: 'NB501', severity: 'info', line: 1 }),
      finding({ code: 'NB102', severity: 'error', line: 3 }),
      finding({ code: 'NB201', severity: 'warning', line: 2 }),
      finding({ code: 'NB102', severity: 'error', line: 5 })
    ])!;
    expect(marker.level).toBe('error');
    expect(marker.codes).toEqual(['NB102', 'NB201', 'NB501']);
    expect(marker.count).toBe(4);
    expect(marker.summary).toBe('NB102 +2');
    expect(marker.title.split('\n')).toHaveLength(4);
    expect(marker.title).toContain('NB102 error (line 3)');
  });

  it('shows a single code alone', () => {
    const marker = cellMarker([finding({ code: 'NB201', severity: 'warning' })])!;
    expect(marker.level).toBe('warning');
    expect(marker.count).toBe(1);
    expect(marker.summary).toBe('NB201');
  });
});
