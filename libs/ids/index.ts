export { newId, isId, idPrefixes } from './ids.js';
export type { IdPrefix } from './ids.js';
