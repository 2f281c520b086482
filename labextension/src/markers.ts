/**
 * Cell markers: the cells of the notebook that have findings get a class
 * (`nb2prod-cell-error` / `-warning` / `-info`), a coloured left edge and a small
 * badge with the codes; they lose them when the findings go away.
 */
import type { Notebook } from '@jupyterlab/notebook';

import type { IFinding } from './api';
import { cellMarker } from './cells';

const LEVEL_CLASSES = ['nb2prod-cell-error', 'nb2prod-cell-warning', 'nb2prod-cell-info'];
const BADGE_CLASS = 'nb2prod-cell-badge';

/** The ids of the notebook's cells, in order. */
export function liveCellIds(notebook: Notebook): (string | null)[] {
  return notebook.widgets.map(cell => cell.model?.id ?? null);
}

/** Marks each cell of `notebook` by its findings (0-based index → findings). */
export function applyCellMarkers(
  notebook: Notebook,
  byCell: ReadonlyMap<number, readonly IFinding[]>,
  onBadgeClick?: (index: number) => void
): void {
  notebook.widgets.forEach((cell, index) => {
    const marker = cellMarker(byCell.get(index) ?? []);
    const node = cell.node;
    let badge = node.querySelector<HTMLElement>(`:scope > .${BADGE_CLASS}`);
    if (!marker) {
      node.classList.remove(...LEVEL_CLASSES);
      badge?.remove();
      return;
    }
    for (const cls of LEVEL_CLASSES) {
      node.classList.toggle(cls, cls === `nb2prod-cell-${marker.level}`);
    }
    if (!badge) {
      const button = document.createElement('button');
      button.className = BADGE_CLASS;
      button.type = 'button';
      badge = button;
      badge.addEventListener('click', event => {
        event.stopPropagation();
        const at = notebook.widgets.indexOf(cell);
        if (at >= 0 && onBadgeClick) {
          onBadgeClick(at);
        }
      });
      node.appendChild(badge);
    }
    badge.textContent = String(marker.count);
    badge.title = `${marker.title}\n(click to show the readiness panel)`;
    badge.setAttribute(
      'aria-label',
      `${marker.count} nb2prod finding${marker.count === 1 ? '' : 's'}: ${marker.summary}`
    );
    badge.dataset.level = marker.level;
    badge.dataset.codes = marker.codes.join(' ');
  });
}

/** Removes every marker from the notebook. */
export function clearCellMarkers(notebook: Notebook): void {
  applyCellMarkers(notebook, new Map());
}

/** Briefly highlights a cell (after a finding was clicked). */
export function flashCell(node: HTMLElement, ms = 1600): void {
  node.classList.remove('nb2prod-cell-flash');
  // Restart the animation when the same cell is flashed twice in a row.
  void node.offsetWidth;
  node.classList.add('nb2prod-cell-flash');
  window.setTimeout(() => node.classList.remove('nb2prod-cell-flash'), ms);
}
