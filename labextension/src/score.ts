/**
 * The readiness score's colour bands: the same thresholds as the CLI's text report
 * (green at 80 and above, yellow from 50, red below). No DOM here.
 */

export type ScoreLevel = 'good' | 'fair' | 'poor';

export const GOOD_FROM = 80;
export const FAIR_FROM = 50;

export function scoreLevel(total: number): ScoreLevel {
  if (total >= GOOD_FROM) {
    return 'good';
  }
  return total >= FAIR_FROM ? 'fair' : 'poor';
}

export const SCORE_LABELS: Record<ScoreLevel, string> = {
  good: 'Ready for production',
  fair: 'Needs work',
  poor: 'Not ready'
};

/**
 * The words beside the score. Errors block `nb2prod build` (its lint gate) whatever the
 * score, so they are named first: a high score with an error is not "ready".
 */
export function scoreLabel(total: number, errors: number): string {
  if (errors > 0) {
    return errors === 1 ? '1 error blocks the build' : `${errors} errors block the build`;
  }
  return SCORE_LABELS[scoreLevel(total)];
}

/** A share in [0, 1] (a family's score over its weight), safe for a zero weight. */
export function ratio(score: number, weight: number): number {
  if (!(weight > 0) || !Number.isFinite(score)) {
    return 0;
  }
  return Math.min(1, Math.max(0, score / weight));
}

/** The width of a bar, as a CSS percentage, for a total out of 100. */
export function percent(total: number): string {
  const clamped = Math.min(100, Math.max(0, Number.isFinite(total) ? total : 0));
  return `${Math.round(clamped)}%`;
}
