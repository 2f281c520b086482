import { ApiError, Nb2prodClient, isAbort } from '../api';
import { FakeServer } from './fakeserver';
import { RULES, TAGS, lintResult } from './fixtures';

describe('Nb2prodClient', () => {
  it('calls the contract URLs below the base URL, with the token', async () => {
    const server = new FakeServer()
      .route('GET rules', () => ({ body: RULES }))
      .route('GET tags', () => ({ body: TAGS }))
      .route('POST lint', () => ({ body: lintResult([]) }))
      .route('POST builds', () => ({ status: 202, body: { id: 'b1', status: 'running', url: '/nb2prod/builds/b1' } }))
      .route('GET builds/<id>', () => ({ body: { id: 'b1', events: [], next: 0 } }));
    const client = new Nb2prodClient(server.settings);
    await client.rules();
    await client.tags();
    await client.lint('dir/nb.ipynb', { cells: [] });
    await client.lint(null, { cells: [] });
    await client.startBuild({ path: 'dir/nb.ipynb', force: false, verify: false });
    await client.build('b1', 4);
    // ServerConnection appends a cache buster (`?<timestamp>`) to every request.
    const noBuster = (url: string) => url.replace(/[?&]\d{10,}$/, '');
    expect(server.requests.map(r => `${r.method} ${noBuster(r.url)}`)).toEqual([
      'GET http://127.0.0.1:8888/lab-base/nb2prod/rules',
      'GET http://127.0.0.1:8888/lab-base/nb2prod/tags',
      'POST http://127.0.0.1:8888/lab-base/nb2prod/lint',
      'POST http://127.0.0.1:8888/lab-base/nb2prod/lint',
      'POST http://127.0.0.1:8888/lab-base/nb2prod/builds',
      'GET http://127.0.0.1:8888/lab-base/nb2prod/builds/b1?since=4'
    ]);
    expect(server.requests[2].body).toEqual({ path: 'dir/nb.ipynb', notebook: { cells: [] } });
    expect(server.requests[3].body).toEqual({ notebook: { cells: [] } });
    expect(server.requests[2].headers.get('Content-Type')).toBe('application/json');
    expect(server.requests.every(r => r.headers.get('Authorization') === 'token secret-token')).toBe(true);
  });

  it('turns an error reply into an ApiError with the status and the one-line message', async () => {
    const server = new FakeServer().route('POST lint', () => ({
      status: 403,
      body: { message: '../x.ipynb is outside the server root\nmore detail' }
    }));
    const error = await new Nb2prodClient(server.settings).lint('../x.ipynb', {}).catch(e => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(403);
    expect(error.message).toBe('../x.ipynb is outside the server root');
  });

  it('names the status when the reply has no message', async () => {
    const server = new FakeServer().route('GET tags', () => ({ status: 500, body: { oops: 1 } }));
    const error = await new Nb2prodClient(server.settings).tags().catch(e => e);
    expect(error.status).toBe(500);
    expect(error.message).toMatch(/^500 .* from tags$/);
  });

  it('reports an unreachable server as status 0', async () => {
    const server = new FakeServer();
    const settings = { ...server.settings, fetch: () => Promise.reject(new TypeError('Failed to fetch')) };
    const error = await new Nb2prodClient(settings).rules().catch(e => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(0);
    expect(error.message).toContain('Failed to fetch');
  });

  it('rejects a cancelled request with an abort error', async () => {
    const server = new FakeServer().route('POST lint', () => new Promise(() => undefined));
    const controller = new AbortController();
    const pending = new Nb2prodClient(server.settings).lint('nb.ipynb', {}, controller.signal);
    controller.abort();
    const error = await pending.catch(e => e);
    expect(isAbort(error)).toBe(true);
  });
});
