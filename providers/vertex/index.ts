/** Google Vertex AI Agent Engine: the runtime module, its adapter and its local gRPC emulator. */
export { vertexRuntime, emulatedSdkDefaultDeadlineMs } from './vertex-runtime.js';
export { VertexAdapter } from './vertex-adapter.js';
export type { VertexAdapterOptions } from './vertex-adapter.js';
export { vertexTargetSchema } from './vertex-target.js';
export type { VertexTarget } from './vertex-target.js';
export { vertexSessionIdFor, vertexUserIdFor } from './vertex-ids.js';
export { turnStreamCallOptions, VertexClients } from './vertex-clients.js';
export type { VertexEndpoint } from './vertex-clients.js';
export { startVertexEmulator } from './emulator/index.js';
export type { VertexEmulator, VertexEmulatorOptions } from './emulator/index.js';
