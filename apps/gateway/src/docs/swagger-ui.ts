/**
 * What Swagger UI runs in the admin's browser. Nest writes `swaggerOptions` into the page's script
 * as source text (a function's `toString()`), so each function here must stand alone: no imports,
 * no closures, nothing TypeScript compiles into a helper.
 */

/** The part of a Swagger UI request its `requestInterceptor` sees and may change. */
interface SwaggerUiRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
}

/**
 * Swagger UI's `requestInterceptor`: every unsafe request gets an `Idempotency-Key`, one per
 * distinct request (method, URL and body) for as long as the page is open. "Execute" pressed twice
 * on the same example sends the same key, so the second press replays the first answer
 * (`Idempotent-Replayed: true`) instead of creating another customer at every provider; a request
 * the admin changed is a new request, with a new key. A key the admin typed in is kept.
 * `crypto.getRandomValues`, unlike `randomUUID`, also works on a plain-http page.
 */
export function idempotencyKeyPerRequest(request: SwaggerUiRequest): SwaggerUiRequest {
  const unsafe = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(String(request.method).toUpperCase());
  const given = Object.keys(request.headers).some((name) => name.toLowerCase() === 'idempotency-key');
  if (!unsafe || given) return request;
  const page = globalThis as unknown as { idempotencyKeys?: Record<string, string> };
  const keys = (page.idempotencyKeys ??= {});
  const body = typeof request.body === 'string' ? request.body : JSON.stringify(request.body ?? null);
  const identity = `${request.method.toUpperCase()} ${request.url}\n${body}`;
  keys[identity] ??= Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) =>
    byte.toString(16).padStart(2, '0'),
  ).join('');
  request.headers['Idempotency-Key'] = keys[identity];
  return request;
}
