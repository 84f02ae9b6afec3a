import { Controller, Get, Header } from '@nestjs/common';
import { z } from 'zod';
import { OpenApiDocument } from './openapi.js';
import { Route } from './route-spec.js';

/** Served from the swagger-ui-dist package mounted at /docs/assets: works offline. */
const docsPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switchboard API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#ui" });</script>
</body></html>`;

@Controller()
export class DocsController {
  constructor(private readonly openApi: OpenApiDocument) {}

  @Get('openapi.json')
  @Route({
    operationId: 'getOpenApi',
    summary: 'This OpenAPI document',
    tag: 'Operations',
    access: { kind: 'public' },
    responses: { 200: { description: 'OpenAPI 3.1', schema: z.record(z.string(), z.unknown()).meta({ id: 'OpenApiDocument' }) } },
  })
  openApiJson() {
    return this.openApi.document();
  }

  @Get('docs')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Route({
    operationId: 'getDocs',
    summary: 'Interactive API documentation',
    tag: 'Operations',
    access: { kind: 'public' },
    responses: { 200: { description: 'HTML', contentType: 'text/html' } },
  })
  docs() {
    return docsPage;
  }
}
