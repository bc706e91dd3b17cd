/** Tiny fetch wrapper for the sandbox conformance suites: real HTTP, parsed JSON, no mocks. */
export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  /** Whatever JSON.parse made of the body (tests assert on its shape). */
  body: ReturnType<typeof JSON.parse>;
}

export interface HttpInit {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent verbatim (with a JSON content type), for malformed-body tests. */
  raw?: string;
  signal?: AbortSignal;
}

export async function http(url: string, init: HttpInit = {}): Promise<HttpResult> {
  const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
  let body: string | undefined;
  if (init.json !== undefined || init.raw !== undefined) {
    headers['content-type'] = 'application/json';
    body = init.raw ?? JSON.stringify(init.json);
  }
  const response = await fetch(url, { method: init.method ?? 'GET', headers, body, signal: init.signal });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: response.status, headers: response.headers, text, body: parsed };
}
