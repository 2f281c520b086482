import type { IFamilyScore, IFinding, ILintResult, IRulesResponse, ITagsResponse } from '../api';

export const FAMILIES = [
  { key: 'reproducibility', title: 'Reproducibility', weight: 20 },
  { key: 'execution', title: 'Execution state', weight: 15 },
  { key: 'security', title: 'Security & privacy', weight: 15 }
];

export function finding(overrides: Partial<IFinding> = {}): IFinding {
  return {
    code: 'NB102',
    name: 'unseeded-numpy-random',
    family: 'reproducibility',
    severity: 'error',
    message: 'np.random is used without a seed',
    cell: 1,
    cell_id: null,
    line: 1,
    column: 1,
    end_line: null,
    end_column: null,
    source_line: null,
    ...overrides
  };
}

export const RULES: IRulesResponse = {
  version: '0.1.0',
  families: FAMILIES,
  rules: [
    {
      code: 'NB102',
      name: 'unseeded-numpy-random',
      family: 'reproducibility',
      severity: 'error',
      summary: 'Random numbers without a seed',
      explanation: '# NB102\n\nSeed the generator: `np.random.default_rng(0)`.'
    },
    {
      code: 'NB304',
      name: 'use-before-definition',
      family: 'execution',
      severity: 'error',
      summary: 'A name is read before the cell that defines it',
      explanation: 'Reorder the cells.'
    }
  ],
  severities: ['info', 'warning', 'error']
};

export const TAGS: ITagsResponse = {
  tags: [
    { name: 'parameters', meaning: 'Build-time parameters' },
    { name: 'predict', meaning: 'The serving function' },
    { name: 'serve', meaning: 'Helper code for the service' }
  ],
  comment: '# nb2prod:'
};

export function lintResult(findings: IFinding[], total = 70): ILintResult {
  const families: IFamilyScore[] = FAMILIES.map(f => ({
    ...f,
    score: findings.some(x => x.family === f.key) ? f.weight / 2 : f.weight,
    findings: findings.filter(x => x.family === f.key).length
  }));
  const counts = { error: 0, warning: 0, info: 0 };
  for (const f of findings) {
    counts[f.severity] += 1;
  }
  return {
    path: 'dir/nb.ipynb',
    score: { total, families },
    findings,
    counts,
    notices: [],
    elapsed_ms: 3.2
  };
}
