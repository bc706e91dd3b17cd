import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import { databaseOutage } from '@app/persistence';
import { type Request, type Response } from 'express';

import { PROBLEM_CONTENT_TYPE, toProblem } from './problem';

/** Renders every error as problem+json; the only place that knows HTTP status codes for errors. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const problem = toProblem(error, { requestId: requestIdOf(req), path: req.path });
    if (problem.body.code === 'database_unavailable') {
      // One line per outage, however many requests it fails (see OutageLog).
      databaseOutage.failed(error instanceof Error ? (error.cause ?? error) : error);
    } else if (problem.body.code === 'not_ready') {
      // The readiness probe's own answer, already logged once per outage by Readiness.
    } else if (problem.status >= 500) {
      // The cause is logged by its name and stack only: messages from below may quote input.
      const cause = error instanceof Error ? (error.cause instanceof Error ? error.cause : error) : undefined;
      this.logger.error(
        { code: problem.body.code, error: cause?.name, stack: cause?.stack },
        'request failed',
      );
    }
    if (res.headersSent) return;
    res
      .status(problem.status)
      .set(problem.headers)
      .type(PROBLEM_CONTENT_TYPE)
      .send(JSON.stringify(problem.body));
  }
}

export function requestIdOf(req: Request): string | undefined {
  const id = (req as Request & { id?: unknown }).id;
  return typeof id === 'string' ? id : undefined;
}
