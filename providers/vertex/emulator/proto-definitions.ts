import { createRequire } from 'node:module';
import path from 'node:path';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';

const require = createRequire(import.meta.url);
/** The .proto files that ship inside the SDK the adapter uses, so the emulator speaks exactly its wire. */
const includeDirs = [
  path.join(path.dirname(require.resolve('@google-cloud/aiplatform')), '..', 'protos'),
  path.join(path.dirname(require.resolve('google-gax')), '..', 'protos'),
];

export const apiVersions = ['v1', 'v1beta1'] as const;
export type ApiVersion = (typeof apiVersions)[number];

let loaded: PackageDefinition | undefined;

/**
 * SessionService, ReasoningEngineExecutionService and ReasoningEngineService
 * (v1 and v1beta1) and
 * google.longrunning.Operations, loaded once. Field names keep the proto's
 * snake_case; 64-bit integers are strings. (Struct/Value/Timestamp come from
 * protobufjs' bundled well-known types, whose oneof members are camelCase:
 * see vertex-struct.ts.)
 */
export function protoDefinitions(): PackageDefinition {
  loaded ??= loadSync(
    [
      ...apiVersions.flatMap((version) => [
        `google/cloud/aiplatform/${version}/session_service.proto`,
        `google/cloud/aiplatform/${version}/reasoning_engine_execution_service.proto`,
        `google/cloud/aiplatform/${version}/reasoning_engine_service.proto`,
      ]),
      'google/longrunning/operations.proto',
    ],
    { keepCase: true, longs: String, enums: String, defaults: false, oneofs: true, includeDirs },
  );
  return loaded;
}

export function serviceDefinition(fullName: string): ServiceDefinition {
  const service = protoDefinitions()[fullName];
  if (!service || 'format' in service) throw new Error(`${fullName} is not a service in the loaded protos`);
  return service;
}

