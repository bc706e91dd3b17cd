import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { requestIdFor } from '@app/config';
import { databaseOutage } from '@app/persistence';
import { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';

import { PROBLEM_CONTENT_TYPE, toProblem } from './problem';

const logger = new Logger('Errors');

/** Answers `error` as problem+json: the only place that knows HTTP status codes for errors. */
export function answerWithProblem(error: unknown, req: FastifyRequest, reply: FastifyReply): void {
  // A request Fastify refused before any hook of ours ran (a path that is not valid
  // percent-encoding) has no id yet: it gets one here, like every other answer.
  const requestId = reply.raw.headersSent ? undefined : requestIdFor(req.raw, reply.raw);
  const problem = toProblem(error, { requestId, path: req.url.split('?', 1)[0] });
  if (problem.body.code === 'database_unavailable') {
    // One line per outage, however many requests it fails (see OutageLog).
    databaseOutage.failed(error instanceof Error ? (error.cause ?? error) : error);
  } else if (problem.body.code === 'not_ready') {
    // The readiness probe's own answer, already logged once per outage by Readiness.
  } else if (problem.status >= 500) {
    // The cause is logged by its name and stack only: messages from below may quote input.
    const cause = error instanceof Error ? (error.cause instanceof Error ? error.cause : error) : undefined;
    logger.error({ code: problem.body.code, error: cause?.name, stack: cause?.stack }, 'request failed');
  }
  if (reply.sent || reply.raw.headersSent) return;
  void reply
    .status(problem.status)
    .headers(problem.headers)
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(problem.body));
}

/**
 * Fastify's `frameworkErrors`: what its router refuses before any hook runs (a path that is not
 * valid percent-encoding), answered like every other error.
 * https://fastify.dev/docs/latest/Reference/Server/#frameworkerrors
 */
export function answerFrameworkError(error: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode ?? 400;
  answerWithProblem(new HttpException(error.message, status, { cause: error }), req, reply);
}

/** Every error a route, guard, pipe or hook raises, as problem+json. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    answerWithProblem(error, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
  }
}
