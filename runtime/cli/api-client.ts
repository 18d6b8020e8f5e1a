/** A thin HTTP client for the runtime API; errors keep the server's stable code. */
export class ApiClientError extends Error {
  override readonly name = 'ApiClientError';
  constructor(readonly status: number, readonly code: string, message: string, readonly data?: unknown) {
    super(message);
  }
}

export class ApiClient {
  /** `tokenSource` names where the token came from (THALOGOS_TOKEN, --token), for refusals. */
  constructor(readonly baseUrl: string, private readonly token: string | null, private readonly tokenSource: string | null = null) {}

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
      const code = error?.code ?? `HTTP_${response.status}`;
      throw new ApiClientError(response.status, code, code === 'UNAUTHENTICATED' ? this.unauthenticated() : (error?.message ?? text), error?.data);
    }
    return parsed as T;
  }

  /** A refused token is the first wall a new user hits: say which variable to set, and to what. */
  private unauthenticated(): string {
    if (!this.token) {
      return 'no token given. Set THALOGOS_TOKEN to the admin token `thalogos serve` printed at first start (export THALOGOS_TOKEN=thg_...), or pass --token';
    }
    return `the server refused the token from ${this.tokenSource ?? 'the command line'} (revoked, mistyped, or from another data dir). Set THALOGOS_TOKEN to a valid token`;
  }
}
