import { FAIR_FROM, GOOD_FROM, percent, ratio, scoreLabel, scoreLevel } from '../score';

describe('scoreLevel', () => {
  it('uses the CLI thresholds: green from 80, yellow from 50, red below', () => {
    expect(GOOD_FROM).toBe(80);
    expect(FAIR_FROM).toBe(50);
    expect(scoreLevel(100)).toBe('good');
    expect(scoreLevel(80)).toBe('good');
    expect(scoreLevel(79.9)).toBe('fair');
    expect(scoreLevel(50)).toBe('fair');
    expect(scoreLevel(49)).toBe('poor');
    expect(scoreLevel(0)).toBe('poor');
  });
});

describe('ratio and percent', () => {
  it('gives a family share in [0, 1]', () => {
    expect(ratio(15, 20)).toBe(0.75);
    expect(ratio(0, 15)).toBe(0);
    expect(ratio(25, 20)).toBe(1);
    expect(ratio(5, 0)).toBe(0);
    expect(ratio(Number.NaN, 10)).toBe(0);
  });

  it('gives a bar width clamped to 0..100%', () => {
    expect(percent(75)).toBe('75%');
    expect(percent(72.6)).toBe('73%');
    expect(percent(-3)).toBe('0%');
    expect(percent(140)).toBe('100%');
  });
});

describe('scoreLabel', () => {
  it('follows the score band when there is no error', () => {
    expect(scoreLabel(95, 0)).toBe('Ready for production');
    expect(scoreLabel(60, 0)).toBe('Needs work');
    expect(scoreLabel(10, 0)).toBe('Not ready');
  });

  it('names the errors, which block the build whatever the score', () => {
    expect(scoreLabel(95, 1)).toBe('1 error blocks the build');
    expect(scoreLabel(40, 3)).toBe('3 errors block the build');
  });
});
