import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { logger } from '../logging/logger.js';
import { routeTemplate } from '../metrics/metrics.js';
import { SseWriter } from '../sessions/turns/sse-writer.js';
import { requestIdOf } from './request-id.js';
import { problemBody, sendProblem, toAppError } from './problem-details.js';

/** The one place where errors become HTTP responses (API.md §2). */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const error = toAppError(exception);
    const requestId = requestIdOf(request);
    if (error.code === 'internal') {
      // The route template, not the URL: query strings and paths carry content (filters, user ids).
      logger.error({ err: exception, requestId, method: request.method, route: routeTemplate(request) }, 'unhandled error');
    } else if (error.code === 'database_busy') {
      logger.warn({ requestId, method: request.method, route: routeTemplate(request) }, 'database pool exhausted: answered 503');
    }
    // An open event stream has its status line out already: the problem goes out as its last event.
    const stream = SseWriter.of(response);
    if (stream) stream.fail(problemBody(error, requestId));
    else sendProblem(response, error, requestId);
  }
}
