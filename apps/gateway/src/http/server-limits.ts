import { type GatewayConfig } from '@app/config';
import { randomUUID } from 'node:crypto';
import { type Server } from 'node:http';
import { type Duplex } from 'node:stream';

import { HttpError } from '../errors/http-error';

import { PROBLEM_CONTENT_TYPE, toProblem } from '../errors/problem';

/**
 * What Node's HTTP server refuses before Fastify ever sees the request, as one of our errors.
 * https://nodejs.org/api/http.html#event-clienterror
 */
function errorOfClient(code: string | undefined): HttpError {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return new HttpError('headers_too_large', 'The request headers are too large.');
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new HttpError('request_timeout', 'The request was not received in time.');
  }
  return new HttpError('malformed_request', 'The request is not valid HTTP.');
}

/** A complete HTTP/1.1 problem+json answer, written straight to a socket Node gave up parsing. */
function rawProblemResponse(error: HttpError): string {
  const problem = toProblem(error, { requestId: randomUUID() });
  const body = JSON.stringify(problem.body);
  return [
    `HTTP/1.1 ${problem.status} ${problem.body.title}`,
    `Content-Type: ${PROBLEM_CONTENT_TYPE}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-Id: ${problem.body.requestId}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/**
 * Node's own limits, from configuration: header size, how long a request (headers and body) and
 * its headers alone may take to arrive, and how long an idle keep-alive connection stays open.
 * A slow sender is cut off after REQUEST_TIMEOUT_MS instead of Node's default five minutes.
 */
export function applyServerLimits(
  server: Server & { maxHeaderSize?: number; connectionsCheckingInterval?: number },
  config: GatewayConfig,
): void {
  // Both are read per connection and when listening, so setting them before listen() takes effect.
  server.maxHeaderSize = config.MAX_HEADER_BYTES;
  server.requestTimeout = config.REQUEST_TIMEOUT_MS;
  server.headersTimeout = Math.min(config.HEADERS_TIMEOUT_MS, config.REQUEST_TIMEOUT_MS);
  server.keepAliveTimeout = config.KEEP_ALIVE_TIMEOUT_MS;
  // Timeouts are enforced on this interval (30 s by default), so check at a quarter of the limit: a
  // slow sender is cut off within 25% of it. The check runs even with no connection open, so a
  // shorter interval would wake an idle gateway for nothing (2.5 s with the default 10 s).
  server.connectionsCheckingInterval = Math.max(50, server.headersTimeout / 4);
}

/**
 * What the server answers a request it could not parse (Fastify's `clientErrorHandler`,
 * https://fastify.dev/docs/latest/Reference/Server/#clienterrorhandler): our problem+json rather
 * than Fastify's own JSON, then the connection closes.
 */
export function answerClientError(
  error: NodeJS.ErrnoException,
  socket: Duplex & { _httpMessage?: { headersSent?: boolean } },
): void {
  // A reset peer, or an answer already under way, leaves nothing to say.
  if (error.code === 'ECONNRESET' || !socket.writable || socket._httpMessage?.headersSent === true) {
    socket.destroy();
    return;
  }
  socket.end(rawProblemResponse(errorOfClient(error.code)));
}
