/**
 * The light entry point the broker's registry imports: the runtime module
 * alone (its target schema, and how to start it). Everything heavy loads
 * when the runtime starts; `index.ts` exports the rest.
 */
export { vertexRuntime } from './vertex-runtime.js';
