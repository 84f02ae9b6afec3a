import { Injectable, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { z } from 'zod';
import { runtimeModules } from '../runtimes/runtime-modules.js';
import { ComponentSchemas, type JsonSchema } from './openapi-components.js';
import { problemContentType } from './problem-details.js';
import { problemSchema, problemsOf } from './problem-responses.js';
import { routeSpecKey, type RouteResponse, type RouteSpec } from './route-spec.js';

/** One implemented route as the router sees it, with its spec. */
export interface DiscoveredRoute {
  method: string;
  path: string;
  spec: RouteSpec | undefined;
}

function joinPath(...parts: string[]): string {
  const joined = parts
    .flatMap((part) => part.split('/'))
    .filter(Boolean)
    .join('/');
  return `/${joined}`;
}

/**
 * Builds the OpenAPI 3.1 document from the same RouteSpecs and zod schemas
 * that guard and validate requests, so it describes exactly what runs.
 */
@Injectable()
export class OpenApiDocument {
  private cached: JsonSchema | undefined;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  routes(): DiscoveredRoute[] {
    const routes: DiscoveredRoute[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const metatype = wrapper.metatype as (new (...args: never[]) => object) | undefined;
      if (!metatype) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, metatype) ?? '');
      const prototype = metatype.prototype as Record<string, unknown>;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name] as object;
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (path === undefined || method === undefined) continue;
        routes.push({
          method: RequestMethod[method].toLowerCase(),
          path: joinPath(base, path),
          spec: Reflect.getMetadata(routeSpecKey, handler) as RouteSpec | undefined,
        });
      }
    }
    return routes;
  }

  document(): JsonSchema {
    this.cached ??= this.build();
    return this.cached;
  }

  private build(): JsonSchema {
    const components = new ComponentSchemas();
    const paths: Record<string, Record<string, unknown>> = {};
    for (const route of this.routes()) {
      if (!route.spec) continue;
      const openApiPath = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      paths[openApiPath] ??= {};
      paths[openApiPath][route.method] = operation(route.spec, openApiPath.includes('{'), components);
    }
    return {
      openapi: '3.1.0',
      info: {
        title: 'Switchboard',
        version: '0.1.0',
        // Named from the registry, so a new runtime appears here without an edit.
        description: `One portable session API over ${new Intl.ListFormat('en', { type: 'conjunction' }).format(runtimeModules.map((module) => module.vendor.serviceName))}.`,
      },
      components: {
        schemas: components.all(),
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key (sbk_...), the operator key, or an OIDC JWT' } },
      },
      paths,
    };
  }
}

/** One operation of the document: its parameters, body and every response, named schemas as `$ref`s. */
function operation(spec: RouteSpec, hasPathParams: boolean, components: ComponentSchemas): JsonSchema {
  const parameters: unknown[] = [];
  for (const [location, schema] of [['path', spec.params], ['query', spec.query]] as const) {
    if (!schema) continue;
    const objectSchema = components.render(schema, 'input') as { $ref?: string; properties?: Record<string, JsonSchema>; required?: string[] };
    // Parameters are listed one by one: a named (referenced) params or query schema would lose them all.
    if (objectSchema.$ref) throw new Error(`${spec.operationId}: its ${location} schema must not be named (.meta({ id })): parameters are listed one by one`);
    for (const [name, property] of Object.entries(objectSchema.properties ?? {})) {
      const { description, ...propertySchema } = property;
      parameters.push({
        name,
        in: location,
        required: location === 'path' || (objectSchema.required ?? []).includes(name),
        ...(description ? { description } : {}),
        schema: propertySchema,
      });
    }
  }
  for (const [name, header] of Object.entries(spec.headers ?? {})) {
    parameters.push({
      name,
      in: 'header',
      required: header.required,
      description: header.description,
      schema: { type: 'string', ...(header.pattern ? { pattern: header.pattern.source } : {}) },
    });
  }
  if (spec.body && spec.bodyExample !== undefined) checkExample(spec, 'body', spec.body, spec.bodyExample);
  const body = spec.body && {
    required: true,
    content: { 'application/json': { schema: components.render(spec.body, 'input'), ...(spec.bodyExample !== undefined ? { example: spec.bodyExample } : {}) } },
  };
  const declared = { ...problemsOf(spec, hasPathParams), ...spec.responses };
  const responses: Record<string, unknown> = Object.fromEntries(Object.entries(declared).map(([status, response]) => [status, responseObject(spec, status, response, components)]));
  // Whatever else can go wrong (500 internal, 408, 415, 431…) is a problem too: typed clients can read every error body the same way.
  responses.default = responseObject(spec, 'default', { description: 'Any other error', schema: problemSchema, contentType: problemContentType }, components);
  return {
    operationId: spec.operationId,
    summary: spec.summary,
    description: accessOf(spec),
    tags: [spec.tag],
    security: spec.access.kind === 'public' ? [] : [{ bearer: [] }],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(body ? { requestBody: body } : {}),
    responses,
  };
}

function responseObject(spec: RouteSpec, status: string, response: RouteResponse, components: ComponentSchemas): JsonSchema {
  if (response.example !== undefined) {
    if (!response.schema) throw new Error(`${spec.operationId} ${status}: an example needs a schema to be checked against`);
    checkExample(spec, status, response.schema, response.example);
  }
  const content: Record<string, unknown> = {};
  if (response.schema || response.contentType) {
    content[response.contentType ?? 'application/json'] = {
      ...(response.schema ? { schema: components.render(response.schema, 'output') } : {}),
      ...(response.example !== undefined ? { example: response.example } : {}),
    };
  }
  // OpenAPI 3.1 has no item schema for a stream: the schema is that of one event's `data` (the framing is in the description).
  if (response.eventStream) content['text/event-stream'] = { schema: components.render(response.eventStream, 'output') };
  return {
    description: response.eventStream
      ? `${response.description}. As text/event-stream: one message per event, \`id:\` its seq, \`event:\` its type, \`data:\` its JSON; a failure after the stream opened ends it with \`event: error\` and a Problem as data; \`:\` comment lines are heartbeats`
      : response.description,
    ...(response.headers
      ? { headers: Object.fromEntries(Object.entries(response.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }])) }
      : {}),
    ...(Object.keys(content).length > 0 ? { content } : {}),
  };
}

/** An example that does not parse would teach clients a shape the API refuses or never sends. */
function checkExample(spec: RouteSpec, where: string, schema: z.ZodType, example: unknown): void {
  const result = schema.safeParse(example);
  if (!result.success) throw new Error(`${spec.operationId} ${where}: the example does not match its schema: ${z.prettifyError(result.error)}`);
}

function accessOf(spec: RouteSpec): string {
  switch (spec.access.kind) {
    case 'tenant':
      return `Roles: ${spec.access.roles.join(', ')}${spec.access.operator ? ', platform operator' : ''}.`;
    case 'operator':
      return 'Platform operator key only.';
    case 'public':
      return 'No credential needed.';
  }
}
