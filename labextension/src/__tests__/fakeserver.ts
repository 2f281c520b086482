/**
 * A fake nb2prod server behind a real `ServerConnection`: the settings get a `fetch`
 * (and a minimal `Request`) that answer from handlers, record every request and honour
 * abort signals, so the client code runs unchanged.
 */
import { ServerConnection } from '@jupyterlab/services';

export interface IRecordedRequest {
  url: string;
  method: string;
  path: string;
  query: URLSearchParams;
  body: any;
  headers: Headers;
  signal: AbortSignal | null;
}

export interface IReply {
  status?: number;
  body?: unknown;
}

export type Handler = (req: IRecordedRequest) => IReply | Promise<IReply>;

class FakeRequest {
  constructor(url: string, init: RequestInit = {}) {
    this.url = url;
    this.method = (init.method ?? 'GET').toUpperCase();
    this.body = init.body ?? null;
    this.signal = init.signal ?? null;
    this.headers = new Headers(init.headers as HeadersInit | undefined);
  }
  url: string;
  method: string;
  body: unknown;
  signal: AbortSignal | null;
  headers: Headers;
}

export const BASE_URL = 'http://127.0.0.1:8888/lab-base/';

export class FakeServer {
  readonly requests: IRecordedRequest[] = [];
  readonly routes = new Map<string, Handler>();

  /** `route('POST lint', handler)`: the key is the method and the path below `nb2prod/`. */
  route(key: string, handler: Handler): this {
    this.routes.set(key, handler);
    return this;
  }

  get settings(): ServerConnection.ISettings {
    return ServerConnection.makeSettings({
      baseUrl: BASE_URL,
      wsUrl: 'ws://127.0.0.1:8888/lab-base/',
      token: 'secret-token',
      Request: FakeRequest as unknown as typeof Request,
      fetch: (input: RequestInfo) => this._fetch(input as unknown as FakeRequest)
    });
  }

  private async _fetch(request: FakeRequest): Promise<Response> {
    const url = new URL(request.url);
    const prefix = new URL(BASE_URL).pathname + 'nb2prod/';
    if (!url.pathname.startsWith(prefix)) {
      return json(404, { message: `not an nb2prod URL: ${url.pathname}` });
    }
    const path = url.pathname.slice(prefix.length);
    const recorded: IRecordedRequest = {
      url: request.url,
      method: request.method,
      path,
      query: url.searchParams,
      body: typeof request.body === 'string' ? JSON.parse(request.body) : request.body,
      headers: request.headers,
      signal: request.signal
    };
    this.requests.push(recorded);
    const routeKey = `${request.method} ${path.startsWith('builds/') ? 'builds/<id>' : path}`;
    const handler = this.routes.get(routeKey);
    if (!handler) {
      return json(404, { message: `no route ${routeKey}` });
    }
    const signal = request.signal;
    const answer = Promise.resolve(handler(recorded));
    const reply = await new Promise<IReply>((resolve, reject) => {
      const onAbort = () => {
        const error = new Error('The operation was aborted.');
        error.name = 'AbortError';
        reject(error);
      };
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort);
      answer.then(resolve, reject);
    });
    return json(reply.status ?? 200, reply.body ?? {});
  }
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' }
  });
}

/** A promise with its resolve function, to answer a request later. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>(r => (resolve = r));
  return { promise, resolve };
}

/** Lets pending promise callbacks run (works with fake timers too). */
export async function flush(times = 10): Promise<void> {
  for (let i = 0; i < times; i++) {
    await Promise.resolve();
  }
}
