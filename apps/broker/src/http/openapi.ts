import { Injectable, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { z } from 'zod';
import { runtimeModules } from '../runtimes/runtime-modules.js';
import { routeSpecKey, type RouteSpec } from './route-spec.js';

type JsonSchema = Record<string, unknown>;

/** One implemented route as the router sees it, with its spec. */
export interface DiscoveredRoute {
  method: string;
  path: string;
  spec: RouteSpec | undefined;
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
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
    const paths: Record<string, Record<string, unknown>> = {};
    for (const route of this.routes()) {
      if (!route.spec) continue;
      const spec = route.spec;
      const openApiPath = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const parameters: unknown[] = [];
      for (const [location, schema] of [['path', spec.params], ['query', spec.query]] as const) {
        if (!schema) continue;
        const objectSchema = jsonSchema(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
        for (const [name, property] of Object.entries(objectSchema.properties ?? {})) {
          parameters.push({
            name,
            in: location,
            required: location === 'path' || (objectSchema.required ?? []).includes(name),
            schema: property,
          });
        }
      }
      for (const [name, header] of Object.entries(spec.headers ?? {})) {
        parameters.push({ name, in: 'header', required: header.required, description: header.description, schema: { type: 'string' } });
      }
      const responses = Object.fromEntries(
        Object.entries(spec.responses).map(([status, response]) => [
          status,
          {
            description: response.description,
            ...(response.schema || response.contentType
              ? {
                  content: {
                    [response.contentType ?? 'application/json']: response.schema ? { schema: jsonSchema(response.schema, 'output') } : {},
                  },
                }
              : {}),
          },
        ]),
      );
      const security = spec.access.kind === 'public' ? [] : [{ bearer: [] }];
      const roles =
        spec.access.kind === 'tenant'
          ? `Roles: ${spec.access.roles.join(', ')}${spec.access.operator ? ', platform operator' : ''}.`
          : spec.access.kind === 'operator'
            ? 'Platform operator key only.'
            : 'No credential needed.';
      paths[openApiPath] ??= {};
      paths[openApiPath][route.method] = {
        operationId: spec.operationId,
        summary: spec.summary,
        description: roles,
        tags: [spec.tag],
        security,
        ...(parameters.length > 0 ? { parameters } : {}),
        ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(spec.body, 'input') } } } } : {}),
        responses,
      };
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
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key (sbk_...), the operator key, or an OIDC JWT' } },
      },
      paths,
    };
  }
}
