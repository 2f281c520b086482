import { LabIcon } from '@jupyterlab/ui-components';

/** A gauge: the Readiness panel's tab icon (themed through `jp-icon3`). */
const gaugeSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M12 4C6.48 4 2 8.48 2 14c0 2.41.85 4.62 2.27 6.35l1.55-1.27A7.96 7.96 0 0 1 4 14a8 8 0 0 1 16 0c0 1.93-.69 3.7-1.83 5.08l1.55 1.27A9.96 9.96 0 0 0 22 14c0-5.52-4.48-10-10-10z"/>
    <path d="M16.6 8.7a.6.6 0 0 0-.84-.13l-5.1 3.9a1.9 1.9 0 1 0 2.48 2.7l3.5-5.73a.6.6 0 0 0-.04-.74z"/>
  </g>
</svg>`;

export const readinessIcon = new LabIcon({ name: 'nb2prod:readiness', svgstr: gaugeSvg });
