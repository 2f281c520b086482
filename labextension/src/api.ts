/**
 * The REST contract of the nb2prod server extension (`{base_url}nb2prod/...`),
 * its types, and a small client over `ServerConnection.makeRequest` (which adds the
 * token and the XSRF header). No DOM here.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

export type Severity = 'info' | 'warning' | 'error';

export interface IFamilyInfo {
  key: string;
  title: string;
  weight: number;
}

export interface IRuleInfo {
  code: string;
  name: string;
  family: string;
  severity: Severity;
  summary: string;
  /** Markdown: the rule's full documentation. */
  explanation: string;
}

export interface IRulesResponse {
  version: string;
  families: IFamilyInfo[];
  rules: IRuleInfo[];
  severities: Severity[];
}

export interface ITagInfo {
  name: string;
  meaning: string;
}

export interface ITagsResponse {
  tags: ITagInfo[];
  comment: string;
}

/** One finding, exactly as `nb2prod lint --format json` writes it. */
export interface IFinding {
  code: string;
  name: string;
  family: string;
  severity: Severity;
  message: string;
  /** 1-based cell index; null for a finding about the whole notebook. */
  cell: number | null;
  /** The nbformat cell id, when the notebook has ids. */
  cell_id: string | null;
  /** 1-based line within the cell. */
  line: number | null;
  column: number | null;
  end_line?: number | null;
  end_column?: number | null;
  source_line?: string | null;
  /** The remedy the rule can apply, or null. */
  fix?: IFixInfo | null;
}

/** Replace `source[start:end]` of a cell (Python offsets; `*_utf16` for JavaScript strings). */
export interface IFixSourceEdit {
  kind: 'source';
  cell: number;
  cell_id: string | null;
  start: number;
  end: number;
  start_utf16?: number;
  end_utf16?: number;
  text: string;
}

export interface IFixCellEdit {
  kind: 'delete_cell' | 'clear_outputs';
  cell: number;
  cell_id: string | null;
  /** clear_outputs: the 1-based output to remove (the execution count stays); null: all, and the count. */
  output?: number | null;
}

export interface IFixMetadataEdit {
  kind: 'metadata';
  key: string;
  value: unknown;
}

/** Add or pin a package in a dependency file; `before`/`after` are the file's texts. */
export interface IRequirementEdit {
  kind: 'requirement';
  file: string;
  package: string;
  version: string;
  /** Relative to the server root; null when the file is outside it. */
  path?: string | null;
  before?: string | null;
  after?: string | null;
  error?: string;
}

export type IFixEdit = IFixSourceEdit | IFixCellEdit | IFixMetadataEdit | IRequirementEdit;

export type Applicability = 'safe' | 'unsafe';

export interface IFixInfo {
  applicability: Applicability;
  message: string;
  edits: IFixEdit[];
}

/** A dependency file a fix of the whole notebook changes. */
export interface IFileChange {
  path: string | null;
  name: string;
  before: string | null;
  after: string;
  created: boolean;
  /** false: outside the server root, so the panel cannot write it. */
  writable: boolean;
}

/** `POST /nb2prod/fix`: the notebook's fixes, as edits on the notebook posted. */
export interface IFixResult {
  path: string | null;
  unsafe: boolean;
  fixed: Record<string, number>;
  fixed_total: number;
  edits: IFixEdit[];
  files: IFileChange[];
  diff: string;
  remaining: number;
  elapsed_ms: number;
}

export interface IFileWritten {
  path: string;
  written: boolean;
  created: boolean;
}

export interface IFamilyScore extends IFamilyInfo {
  score: number;
  findings: number;
}

export interface ILintResult {
  path: string | null;
  score: { total: number; families: IFamilyScore[] };
  findings: IFinding[];
  counts: Partial<Record<Severity, number>>;
  notices: unknown[];
  elapsed_ms: number;
}

export type BuildStatus = 'running' | 'succeeded' | 'failed';
export type BuildEventStatus =
  | 'start'
  | 'progress'
  | 'done'
  | 'skipped'
  | 'failed';

export interface IBuildEvent {
  index: number;
  stage: string;
  status: BuildEventStatus;
  message: string;
  seconds: number | null;
  detail: Record<string, unknown>;
}

export interface IBuildResult {
  output: string;
  project: string;
  package: string;
  verified: boolean | null;
}

export interface IBuildJob {
  id: string;
  path: string;
  output: string;
  status: BuildStatus;
  events: IBuildEvent[];
  next: number;
  result: IBuildResult | null;
  error: string | null;
}

export interface IBuildRequest {
  path: string;
  output?: string;
  parameters?: Record<string, string>;
  force?: boolean;
  verify?: boolean;
  /** false: build even if the lint finds errors (the server's default is true). */
  gate?: boolean;
}

export interface IBuildStarted {
  id: string;
  status: BuildStatus;
  url: string;
}

/** A failed call: the HTTP status (0 when the server could not be reached) and its one-line message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** What the models need from the server; the real one is `Nb2prodClient`. */
export interface INb2prodClient {
  rules(): Promise<IRulesResponse>;
  tags(): Promise<ITagsResponse>;
  lint(
    path: string | null,
    notebook: unknown,
    signal?: AbortSignal
  ): Promise<ILintResult>;
  startBuild(request: IBuildRequest): Promise<IBuildStarted>;
  build(id: string, since: number): Promise<IBuildJob>;
  fix(
    path: string | null,
    notebook: unknown,
    options: { unsafe: boolean; codes?: string[] }
  ): Promise<IFixResult>;
  writeFile(path: string, before: string | null, after: string): Promise<IFileWritten>;
}

export class Nb2prodClient implements INb2prodClient {
  readonly serverSettings: ServerConnection.ISettings;

  constructor(serverSettings?: ServerConnection.ISettings) {
    this.serverSettings = serverSettings ?? ServerConnection.makeSettings();
  }

  rules(): Promise<IRulesResponse> {
    return this.request<IRulesResponse>('rules');
  }

  tags(): Promise<ITagsResponse> {
    return this.request<ITagsResponse>('tags');
  }

  lint(
    path: string | null,
    notebook: unknown,
    signal?: AbortSignal
  ): Promise<ILintResult> {
    const body: Record<string, unknown> = { notebook };
    if (path) {
      body.path = path;
    }
    return this.request<ILintResult>('lint', {
      method: 'POST',
      body: JSON.stringify(body),
      signal
    });
  }

  startBuild(request: IBuildRequest): Promise<IBuildStarted> {
    return this.request<IBuildStarted>('builds', {
      method: 'POST',
      body: JSON.stringify(request)
    });
  }

  build(id: string, since: number): Promise<IBuildJob> {
    return this.request<IBuildJob>(
      `builds/${encodeURIComponent(id)}?since=${since}`
    );
  }

  fix(
    path: string | null,
    notebook: unknown,
    options: { unsafe: boolean; codes?: string[] }
  ): Promise<IFixResult> {
    const body: Record<string, unknown> = { notebook, unsafe: options.unsafe };
    if (path) {
      body.path = path;
    }
    if (options.codes) {
      body.codes = options.codes;
    }
    return this.request<IFixResult>('fix', { method: 'POST', body: JSON.stringify(body) });
  }

  writeFile(path: string, before: string | null, after: string): Promise<IFileWritten> {
    return this.request<IFileWritten>('fix/file', {
      method: 'POST',
      body: JSON.stringify({ path, before, after })
    });
  }

  async request<T>(endpoint: string, init: RequestInit = {}): Promise<T> {
    const url = URLExt.join(this.serverSettings.baseUrl, 'nb2prod', endpoint);
    const headers =
      init.body !== undefined
        ? { 'Content-Type': 'application/json', ...(init.headers ?? {}) }
        : init.headers;
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(
        url,
        { ...init, headers },
        this.serverSettings
      );
    } catch (error) {
      if (init.signal?.aborted || isAbort(error)) {
        throw abortError();
      }
      throw new ApiError(0, `cannot reach the nb2prod server extension: ${describe(error)}`);
    }
    const text = await response.text();
    let data: any = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!response.ok) {
      const message =
        data && typeof data.message === 'string' && data.message
          ? data.message
          : `${response.status} ${response.statusText || 'error'} from ${endpoint}`;
      throw new ApiError(response.status, firstLine(message));
    }
    if (data === null) {
      throw new ApiError(
        response.status,
        `the nb2prod server extension sent no JSON for ${endpoint}`
      );
    }
    return data as T;
  }
}

export function isAbort(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { name?: string }).name === 'AbortError'
  );
}

/** The error a cancelled request rejects with (`isAbort` is true for it). */
export function abortError(): Error {
  const error = new Error('request cancelled');
  error.name = 'AbortError';
  return error;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    return firstLine(error.message);
  }
  return firstLine(String(error));
}

function firstLine(text: string): string {
  const line = text.split('\n').find(l => l.trim() !== '');
  return (line ?? text).trim();
}
