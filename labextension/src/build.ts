/**
 * The Build action: progress events reduced to one row per stage, and the model that
 * starts a build job on the server, polls it and keeps its state. No DOM here.
 */
import { ISignal, Signal } from '@lumino/signaling';

import {
  ApiError,
  IBuildEvent,
  IBuildJob,
  IBuildRequest,
  IBuildResult,
  INb2prodClient
} from './api';

/** The stages of `nb2prod build`, in order (nb2prod.converter.events.STAGES). */
export const STAGES = ['lint', 'analyse', 'execute', 'capture', 'render', 'verify'] as const;

export type StageStatus = 'pending' | 'running' | 'done' | 'skipped' | 'failed';

export interface IStageRow {
  stage: string;
  status: StageStatus;
  /** The stage's latest message (its progress, or how it ended). */
  message: string;
  /** How long the stage took, once it ended. */
  seconds: number | null;
}

export interface IBuildProgress {
  rows: IStageRow[];
  /** The index of the next event expected: events below it were already applied. */
  next: number;
}

export function initialProgress(): IBuildProgress {
  return {
    rows: STAGES.map(stage => ({ stage, status: 'pending', message: '', seconds: null })),
    next: 0
  };
}

/**
 * Applies events to the stage rows. Events already applied (index below `next`, as
 * when two polls overlap) are ignored; a stage the frontend does not know gets a row
 * at the end. The input is not modified.
 */
export function reduceBuildEvents(
  progress: IBuildProgress,
  events: readonly IBuildEvent[]
): IBuildProgress {
  const rows = progress.rows.map(r => ({ ...r }));
  let next = progress.next;
  const ordered = [...events].sort((a, b) => a.index - b.index);
  for (const event of ordered) {
    if (event.index < next) {
      continue;
    }
    next = event.index + 1;
    let row = rows.find(r => r.stage === event.stage);
    if (!row) {
      row = { stage: event.stage, status: 'pending', message: '', seconds: null };
      rows.push(row);
    }
    switch (event.status) {
      case 'start':
        row.status = 'running';
        row.seconds = null;
        row.message = event.message;
        break;
      case 'progress':
        row.status = 'running';
        if (event.message) {
          row.message = event.message;
        }
        break;
      case 'done':
      case 'skipped':
      case 'failed':
        row.status = event.status;
        row.seconds = event.seconds ?? null;
        if (event.message || event.status !== 'done') {
          row.message = event.message;
        }
        break;
      default:
        break;
    }
  }
  return { rows, next };
}

/**
 * Rows once the job has ended: a stage still shown as running did not get its closing
 * event, so it takes the job's outcome. Pending stages stay pending (they did not run).
 */
export function finishRows(rows: readonly IStageRow[], status: 'succeeded' | 'failed'): IStageRow[] {
  return rows.map(r =>
    r.status === 'running' ? { ...r, status: status === 'succeeded' ? 'done' : 'failed' } : { ...r }
  );
}

/** The stage a build failed at (the first row marked failed), or null. */
export function failedStage(rows: readonly IStageRow[]): string | null {
  return rows.find(r => r.status === 'failed')?.stage ?? null;
}

export type BuildPhase =
  | 'idle'
  | 'saving'
  | 'starting'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'conflict';

export interface IBuildStartOptions {
  force?: boolean;
  verify?: boolean;
  /** false: skip the lint gate (build even if the lint finds errors). Default true. */
  gate?: boolean;
  output?: string;
  parameters?: Record<string, string>;
  /** Saves the notebook first: the server builds the file as it is on disk. */
  save?: () => Promise<void>;
}

export interface IBuildModelOptions {
  pollMs?: number;
  /** Consecutive failed polls before the build is reported as lost. */
  maxPollFailures?: number;
}

export class BuildModel {
  constructor(
    private readonly _client: INb2prodClient,
    options: IBuildModelOptions = {}
  ) {
    this.pollMs = options.pollMs ?? 500;
    this._maxPollFailures = options.maxPollFailures ?? 3;
  }

  readonly pollMs: number;

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get phase(): BuildPhase {
    return this._phase;
  }

  get busy(): boolean {
    return ['saving', 'starting', 'running'].includes(this._phase);
  }

  get path(): string | null {
    return this._request?.path ?? null;
  }

  get jobId(): string | null {
    return this._jobId;
  }

  get rows(): readonly IStageRow[] {
    return this._progress.rows;
  }

  get result(): IBuildResult | null {
    return this._result;
  }

  /** The one-line error of a failed build (or of a refused start). */
  get error(): string | null {
    return this._error;
  }

  /** The server's message when the target folder is not empty (409): Replace retries with force. */
  get conflict(): string | null {
    return this._phase === 'conflict' ? this._error : null;
  }

  get output(): string | null {
    return this._result?.output ?? this._output;
  }

  /** Whether the current or last build stops on lint errors (false: "Build anyway"). */
  get gate(): boolean {
    return this._request?.gate ?? true;
  }

  /** The stage the last build failed at (null while it runs, after a success, or before any stage ran). */
  get failedStage(): string | null {
    return this._phase === 'failed' ? failedStage(this._progress.rows) : null;
  }

  get startedAt(): number | null {
    return this._startedAt;
  }

  get finishedAt(): number | null {
    return this._finishedAt;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Starts a build of `path` (relative to the server root). Ignored while one runs. */
  async start(path: string, options: IBuildStartOptions = {}): Promise<void> {
    if (this.busy || this._disposed) {
      return;
    }
    const request: IBuildRequest = {
      path,
      force: options.force ?? false,
      verify: options.verify ?? false
    };
    if (options.output) {
      request.output = options.output;
    }
    if (options.parameters && Object.keys(options.parameters).length) {
      request.parameters = options.parameters;
    }
    if (options.gate === false) {
      request.gate = false;
    }
    this._request = request;
    this._save = options.save ?? null;
    this._reset();
    const run = ++this._run;
    try {
      if (options.save) {
        this._set('saving');
        await options.save();
        if (run !== this._run) {
          return;
        }
      }
      this._set('starting');
      const started = await this._client.startBuild(request);
      if (run !== this._run) {
        return;
      }
      this._jobId = started.id;
      this._startedAt = Date.now();
      this._set('running');
      this._schedulePoll(run, 0);
    } catch (error) {
      if (run !== this._run) {
        return;
      }
      const message = messageOf(error);
      if (error instanceof ApiError && error.status === 409) {
        this._error = message;
        this._set('conflict');
      } else {
        this._fail(message);
      }
    }
  }

  /** After a 409: builds again with `force`, replacing the target folder (the rest as asked). */
  async replace(): Promise<void> {
    if (this._phase !== 'conflict' || !this._request) {
      return;
    }
    const { path, output, parameters, verify, gate } = this._request;
    await this.start(path, {
      output,
      parameters,
      verify,
      gate,
      force: true,
      save: this._save ?? undefined
    });
  }

  /** Forgets a finished build (the panel's "Dismiss"). */
  clear(): void {
    if (this.busy) {
      return;
    }
    this._run++;
    this._request = null;
    this._reset();
    this._set('idle');
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._run++;
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
    Signal.clearData(this);
  }

  private _schedulePoll(run: number, delay: number): void {
    this._timer = setTimeout(() => {
      this._timer = null;
      void this._poll(run);
    }, delay);
  }

  private async _poll(run: number): Promise<void> {
    if (run !== this._run || !this._jobId) {
      return;
    }
    let job: IBuildJob;
    try {
      job = await this._client.build(this._jobId, this._progress.next);
    } catch (error) {
      if (run !== this._run) {
        return;
      }
      this._pollFailures++;
      if (error instanceof ApiError && error.status === 404) {
        this._fail(`the server no longer knows build ${this._jobId} (was it restarted?)`);
      } else if (this._pollFailures >= this._maxPollFailures) {
        this._fail(`lost track of the build: ${messageOf(error)}`);
      } else {
        this._schedulePoll(run, this.pollMs);
      }
      return;
    }
    if (run !== this._run) {
      return;
    }
    this._pollFailures = 0;
    this._output = job.output || this._output;
    const progress = reduceBuildEvents(this._progress, job.events ?? []);
    // `next` from the server is authoritative (events may have been trimmed).
    progress.next = Math.max(progress.next, job.next ?? 0);
    this._progress = progress;
    if (job.status === 'running') {
      this._changed.emit();
      this._schedulePoll(run, this.pollMs);
      return;
    }
    this._progress = { ...progress, rows: finishRows(progress.rows, job.status) };
    this._finishedAt = Date.now();
    if (job.status === 'succeeded') {
      this._result = job.result;
      this._error = null;
      this._set('succeeded');
    } else {
      this._fail(job.error || 'the build failed');
    }
  }

  private _reset(): void {
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
    this._progress = initialProgress();
    this._jobId = null;
    this._result = null;
    this._error = null;
    this._output = null;
    this._startedAt = null;
    this._finishedAt = null;
    this._pollFailures = 0;
  }

  private _fail(message: string): void {
    this._error = message;
    this._finishedAt = this._finishedAt ?? Date.now();
    this._progress = { ...this._progress, rows: finishRows(this._progress.rows, 'failed') };
    this._set('failed');
  }

  private _set(phase: BuildPhase): void {
    this._phase = phase;
    this._changed.emit();
  }

  private _changed = new Signal<this, void>(this);
  private _phase: BuildPhase = 'idle';
  private _progress: IBuildProgress = initialProgress();
  private _request: IBuildRequest | null = null;
  private _save: (() => Promise<void>) | null = null;
  private _jobId: string | null = null;
  private _result: IBuildResult | null = null;
  private _error: string | null = null;
  private _output: string | null = null;
  private _startedAt: number | null = null;
  private _finishedAt: number | null = null;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _pollFailures = 0;
  private _maxPollFailures: number;
  private _run = 0;
  private _disposed = false;
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) {
    return error.message.split('\n')[0];
  }
  return String(error).split('\n')[0];
}
