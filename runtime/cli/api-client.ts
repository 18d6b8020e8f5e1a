/** A thin HTTP client for the runtime API; errors keep the server's stable code. */
export class ApiClientError extends Error {
  override readonly name = 'ApiClientError';
  constructor(readonly status: number, readonly code: string, message: string, readonly data?: unknown) {
    super(message);
  }
}

export class ApiClient {
  constructor(readonly baseUrl: string, private readonly token: string | null) {}

  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(new URL(path, this.baseUrl), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (error) {
      throw new ApiClientError(0, 'UNREACHABLE', `cannot reach ${this.baseUrl}: ${(error as Error).message}`);
    }
    const text = await response.text();
    let parsed: unknown = text;
    if ((response.headers.get('content-type') ?? '').includes('json')) {
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new ApiClientError(response.status, 'BAD_RESPONSE', `the server sent invalid JSON for ${method} ${path}`);
      }
    }
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string; message?: string; data?: unknown } }).error;
      throw new ApiClientError(response.status, error?.code ?? `HTTP_${response.status}`, error?.message ?? text, error?.data);
    }
    return parsed as T;
  }
}
