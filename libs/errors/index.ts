export { errorCatalog, problemType } from './error-codes.js';
export type { ErrorCode } from './error-codes.js';
export { AppError, invalidRequest, notFound, unauthenticated, forbidden, conflict } from './app-error.js';
export type { FieldProblem } from './app-error.js';
