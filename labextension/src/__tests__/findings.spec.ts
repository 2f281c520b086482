import {
  countByFamily,
  countBySeverity,
  filterFindings,
  findingLocation,
  groupFindings,
  severityRank,
  sortFindings,
  worstSeverity
} from '../findings';
import { FAMILIES, finding } from './fixtures';

const findings = [
  finding({ code: 'NB201', family: 'execution', severity: 'warning', cell: 3, line: 2 }),
  finding({ code: 'NB102', family: 'reproducibility', severity: 'error', cell: 2, line: 4 }),
  finding({ code: 'NB501', family: 'security', severity: 'info', cell: 1, line: 1 }),
  finding({ code: 'NB104', family: 'reproducibility', severity: 'info', cell: 2, line: 1 }),
  finding({ code: 'NB601', family: 'structure', severity: 'warning', cell: null, line: null })
];

describe('severity order', () => {
  it('ranks info < warning < error and unknown as info', () => {
    expect(severityRank('info')).toBeLessThan(severityRank('warning'));
    expect(severityRank('warning')).toBeLessThan(severityRank('error'));
    expect(severityRank('bogus')).toBe(severityRank('info'));
  });

  it('finds the worst severity, or null for no findings', () => {
    expect(worstSeverity(findings)).toBe('error');
    expect(worstSeverity(findings.filter(f => f.severity !== 'error'))).toBe('warning');
    expect(worstSeverity([])).toBeNull();
  });
});

describe('filterFindings', () => {
  it('keeps everything at the lowest severity and no family', () => {
    expect(filterFindings(findings, { minSeverity: 'info', family: null })).toHaveLength(5);
  });

  it('drops findings below the minimum severity', () => {
    const codes = (min: 'info' | 'warning' | 'error') =>
      filterFindings(findings, { minSeverity: min, family: null }).map(f => f.code);
    expect(codes('warning')).toEqual(['NB201', 'NB102', 'NB601']);
    expect(codes('error')).toEqual(['NB102']);
  });

  it('keeps one family, combined with the severity', () => {
    const repro = filterFindings(findings, { minSeverity: 'info', family: 'reproducibility' });
    expect(repro.map(f => f.code)).toEqual(['NB102', 'NB104']);
    const reproErrors = filterFindings(findings, { minSeverity: 'error', family: 'reproducibility' });
    expect(reproErrors.map(f => f.code)).toEqual(['NB102']);
    expect(filterFindings(findings, { minSeverity: 'error', family: 'security' })).toEqual([]);
  });
});

describe('sortFindings', () => {
  it('puts notebook-level findings first, then cell and line order', () => {
    expect(sortFindings(findings).map(f => f.code)).toEqual([
      'NB601',
      'NB501',
      'NB104',
      'NB102',
      'NB201'
    ]);
  });

  it('puts the most severe first at the same place', () => {
    const same = [
      finding({ code: 'NB900', severity: 'info', cell: 1, line: 1 }),
      finding({ code: 'NB800', severity: 'error', cell: 1, line: 1 })
    ];
    expect(sortFindings(same).map(f => f.code)).toEqual(['NB800', 'NB900']);
  });

  it('does not modify its input', () => {
    const copy = [...findings];
    sortFindings(findings);
    expect(findings).toEqual(copy);
  });
});

describe('groupFindings', () => {
  it('groups by family in the server order, unknown families after, alphabetically', () => {
    const groups = groupFindings(findings, 'family', FAMILIES);
    expect(groups.map(g => g.key)).toEqual([
      'reproducibility',
      'execution',
      'security',
      'structure'
    ]);
    expect(groups[0].title).toBe('Reproducibility');
    expect(groups[3].title).toBe('structure');
    expect(groups[0].findings.map(f => f.code)).toEqual(['NB104', 'NB102']);
  });

  it('leaves out empty families', () => {
    const groups = groupFindings([findings[2]], 'family', FAMILIES);
    expect(groups.map(g => g.key)).toEqual(['security']);
  });

  it('groups by severity, most severe first', () => {
    const groups = groupFindings(findings, 'severity', FAMILIES);
    expect(groups.map(g => [g.key, g.title, g.findings.length])).toEqual([
      ['error', 'Errors', 1],
      ['warning', 'Warnings', 2],
      ['info', 'Info', 2]
    ]);
  });

  it('gives one group, or none, without grouping', () => {
    expect(groupFindings(findings, 'none')).toHaveLength(1);
    expect(groupFindings([], 'none')).toEqual([]);
    expect(groupFindings([], 'family', FAMILIES)).toEqual([]);
  });
});

describe('counts and locations', () => {
  it('counts by severity and family', () => {
    expect(countBySeverity(findings)).toEqual({ error: 1, warning: 2, info: 2 });
    expect(countBySeverity([])).toEqual({ error: 0, warning: 0, info: 0 });
    expect(countByFamily(findings).get('reproducibility')).toBe(2);
    expect(countByFamily(findings).get('tests')).toBeUndefined();
  });

  it('writes the location as the CLI does', () => {
    expect(findingLocation(finding({ cell: 3, line: 2 }))).toBe('cell 3:2');
    expect(findingLocation(finding({ cell: 3, line: null }))).toBe('cell 3');
    expect(findingLocation(finding({ cell: null, line: null }))).toBe('notebook');
  });
});
