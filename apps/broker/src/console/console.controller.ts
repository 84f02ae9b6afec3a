import { Controller, Get, Header, Res } from '@nestjs/common';
import type { Response } from 'express';
import { problemResponses } from '../http/problem-responses.js';
import { Route } from '../http/route-spec.js';
import { sendConsolePage } from './console-files.js';
import { ConsoleSignIn, consoleConfigView } from './console-sign-in.js';

/**
 * The web console's entry page (API.md §8). Public: the page holds no data;
 * it signs in in the browser and calls the API with that credential. Its
 * assets and sub-paths are served by `consoleFiles` before Nest's router.
 */
@Controller()
export class ConsoleController {
  constructor(private readonly signIn: ConsoleSignIn) {}

  @Get('console')
  @Route({
    operationId: 'getConsole',
    summary: 'The web console (a single-page app calling this API with the signed-in credential)',
    tag: 'Operations',
    access: { kind: 'public' },
    responses: { 200: { description: 'HTML', contentType: 'text/html' }, ...problemResponses(404) },
  })
  page(@Res() response: Response) {
    return sendConsolePage(response, this.signIn);
  }

  @Get('console/config.json')
  @Header('Cache-Control', 'no-cache')
  @Route({
    operationId: 'getConsoleConfig',
    summary: "How the console signs in: the OIDC client it may use (public values only), or null for API keys only",
    tag: 'Operations',
    access: { kind: 'public' },
    responses: { 200: { description: 'The console\'s sign-in settings', schema: consoleConfigView } },
  })
  config() {
    return this.signIn.view();
  }
}
