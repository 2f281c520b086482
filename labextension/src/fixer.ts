/**
 * The panel's Fix actions: a finding's own fix, and "Fix all" through the server's
 * `/nb2prod/fix`. Edits go to the live notebook model (one undoable step), never to the
 * notebook file; dependency files, which are not part of the notebook, are written by
 * the server only if they are still what the fix was computed from. When the notebook
 * changed where a fix applies, nothing is applied and the notebook is linted again.
 */
import { ApiError, IFinding, INb2prodClient } from './api';
import { messageOf } from './build';
import {
  IEditableNotebook,
  ISnapshot,
  applyOperations,
  describeEdits,
  fileChanges,
  planEdits
} from './fixes';
import { ReadinessModel } from './model';

export interface IFixHost {
  /** The live model of the notebook the panel follows, or null. */
  notebook(): IEditableNotebook | null;
  /** That notebook as JSON now (what "Fix all" posts). */
  snapshot(): unknown;
  /** Asks before an unsafe fix; resolves true to apply. */
  confirm(title: string, diff: string, accept: string): Promise<boolean>;
}

export class Fixer {
  constructor(
    readonly client: INb2prodClient,
    readonly model: ReadinessModel,
    readonly host: IFixHost
  ) {}

  /** Applies the finding's fix (the one the lint shown computed). */
  async fixFinding(finding: IFinding): Promise<boolean> {
    const fix = finding.fix;
    const notebook = this.host.notebook();
    const snapshot = this.model.lintedNotebook as ISnapshot | null;
    if (!fix || !notebook || !snapshot || this.model.fixing) {
      return false;
    }
    const plan = planEdits(fix.edits, snapshot, notebook);
    if (!plan.ok) {
      return this._relint(`${finding.code} not fixed: ${plan.reason}; linting again`);
    }
    const files = fileChanges(fix);
    if (files.refused.length && !files.writes.length && !plan.operations.length) {
      return this._done(
        `${finding.code} not fixed: ${files.refused.join(', ')} is outside the folder JupyterLab serves`,
        true
      );
    }
    if (fix.applicability === 'unsafe') {
      const ok = await this.host.confirm(
        `Apply the unsafe fix of ${finding.code}?`,
        `${fix.message}\n\n${describeEdits(fix.edits, snapshot)}`,
        'Apply unsafe fix'
      );
      if (!ok) {
        return false;
      }
      // The dialog took time: the notebook may have changed meanwhile.
      const again = planEdits(fix.edits, snapshot, notebook);
      if (!again.ok) {
        return this._relint(`${finding.code} not fixed: ${again.reason}; linting again`);
      }
    }
    this.model.setFixState(true);
    try {
      for (const write of files.writes) {
        await this.client.writeFile(write.path, write.before, write.after);
      }
      applyOperations(notebook, plan.operations);
    } catch (error) {
      return this._failed(finding.code, error);
    }
    const skipped = files.refused.length
      ? `; not written: ${files.refused.join(', ')} (outside the folder JupyterLab serves)`
      : '';
    return this._relint(`Fixed ${finding.code}: ${fix.message}${skipped}`, files.refused.length > 0);
  }

  /** Fixes the whole notebook as it is now: the safe fixes, or (after a confirmation) all. */
  async fixAll(unsafe: boolean): Promise<boolean> {
    const notebook = this.host.notebook();
    const source = this.model.source;
    if (!notebook || !source || this.model.fixing) {
      return false;
    }
    const snapshot = this.host.snapshot() as ISnapshot;
    this.model.setFixState(true, null);
    let result;
    try {
      result = await this.client.fix(source.path || null, snapshot, { unsafe });
    } catch (error) {
      return this._failed('fix', error);
    }
    if (source !== this.model.source) {
      this.model.setFixState(false);
      return false;
    }
    const writes = result.files.filter(f => f.writable && f.path);
    const outside = result.files.filter(f => !f.writable || !f.path).map(f => f.name);
    if (!result.edits.length && !writes.length) {
      return this._done(
        outside.length
          ? `Nothing fixed: ${outside.join(', ')} is outside the folder JupyterLab serves`
          : 'Nothing to fix',
        outside.length > 0
      );
    }
    if (unsafe) {
      this.model.setFixState(false);
      const ok = await this.host.confirm(
        `Apply ${result.fixed_total} fix${result.fixed_total === 1 ? '' : 'es'}, unsafe ones included?`,
        result.diff,
        'Apply all fixes'
      );
      if (!ok) {
        return false;
      }
      this.model.setFixState(true);
    }
    const plan = planEdits(result.edits, snapshot, notebook);
    if (!plan.ok) {
      return this._relint(`Not fixed: ${plan.reason}; linting again`);
    }
    try {
      for (const file of writes) {
        await this.client.writeFile(file.path!, file.before, file.after);
      }
      applyOperations(notebook, plan.operations);
    } catch (error) {
      return this._failed('fix', error);
    }
    const codes = Object.keys(result.fixed).sort().join(', ');
    const n = result.fixed_total;
    let text = `Fixed ${n} finding${n === 1 ? '' : 's'}${codes ? ` (${codes})` : ''}`;
    if (outside.length) {
      text += `; not written: ${outside.join(', ')} (outside the folder JupyterLab serves)`;
    }
    return this._relint(text, outside.length > 0);
  }

  private _failed(what: string, error: unknown): boolean {
    const stale = error instanceof ApiError && error.status === 409;
    const text = `${what === 'fix' ? 'Not fixed' : `${what} not fixed`}: ${messageOf(error)}`;
    if (stale) {
      return this._relint(text);
    }
    return this._done(text, true);
  }

  private _done(text: string, error: boolean): boolean {
    this.model.setFixState(false, { text, error });
    return !error;
  }

  private _relint(text: string, error = true): boolean {
    this.model.setFixState(false, { text, error });
    void this.model.lintNow();
    return !error;
  }
}
