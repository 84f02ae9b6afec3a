import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import { AppError } from '#libs/errors';
import { sendProblem, toAppError } from '../http/problem-details.js';
import { requestIdOf } from '../http/request-id.js';
import type { ConsoleSignIn } from './console-sign-in.js';

/**
 * Where `npm run build` puts the console (Vite, apps/console): dist/console.
 * This file compiles to dist/apps/broker/src/console/, four levels below dist.
 */
export const consoleDistDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../console');

/**
 * The console's own policy: its scripts and styles are same-origin files (no
 * inline code, no CDN), and it talks only to this broker, and, when it signs
 * in with OIDC, to the token endpoint's origin (the browser redeems the code
 * there; the authorization endpoint is a navigation, which connect-src does
 * not govern).
 */
export const consoleSecurityHeadersFor = (connectSources: string[]): Record<string, string> => ({
  'Content-Security-Policy':
    `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src ${connectSources.join(' ')}; ` +
    "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
});

/** The assets' headers (and the page's when the console signs in with API keys only). */
export const consoleSecurityHeaders = consoleSecurityHeadersFor(["'self'"]);

let indexHtml: string | undefined;

/**
 * The console's page. Revalidated on every load (`no-cache`) so a new build is
 * picked up at once; the hashed assets it names are cached for good.
 */
export async function sendConsolePage(response: Response, signIn: ConsoleSignIn): Promise<void> {
  indexHtml ??= readIndex();
  const headers = consoleSecurityHeadersFor(await signIn.connectSources());
  response.set({ ...headers, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' });
  response.send(indexHtml);
}

function readIndex(): string {
  const file = path.join(consoleDistDir, 'index.html');
  if (!existsSync(file)) throw new AppError('not_found', 'the console is not built: run npm run build');
  return readFileSync(file, 'utf8');
}

/**
 * Express middleware for /console/…: the hashed assets (immutable), and every
 * other sub-path the single-page app's own routes (index.html). `/console`
 * and `/console/config.json` are documented routes (ConsoleController). A
 * missing asset is a 404, never the page, so a stale bundle name fails loudly.
 */
export function consoleFiles(signIn: ConsoleSignIn): express.Handler {
  const assets = express.static(path.join(consoleDistDir, 'assets'), {
    index: false,
    fallthrough: false,
    immutable: true,
    maxAge: '365d',
    setHeaders: (response) => response.set(consoleSecurityHeaders),
  });
  return (request: Request, response: Response, next: NextFunction) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return next();
    if (request.path === '/' && !request.originalUrl.split('?')[0].endsWith('/')) return next();
    if (request.path === '/config.json') return next();
    if (request.path.startsWith('/assets/')) {
      request.url = request.url.slice('/assets'.length);
      return assets(request, response, () => sendProblem(response, new AppError('not_found', 'no such console asset'), requestIdOf(request)));
    }
    sendConsolePage(response, signIn).catch((error: unknown) => sendProblem(response, toAppError(error), requestIdOf(request)));
  };
}
