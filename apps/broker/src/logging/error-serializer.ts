import { pino } from 'pino';

/** What a PostgreSQL error may keep in a log line: fields that name things, never values. */
const namingFields = ['code', 'severity', 'routine', 'schema', 'table', 'column', 'dataType', 'constraint'] as const;

type DatabaseError = Error & Record<string, unknown> & { driverError?: Record<string, unknown> };

/** TypeORM's QueryFailedError (it wraps the driver's) or pg's own DatabaseError (a SQLSTATE and a severity). */
function isDatabaseError(value: Error): value is DatabaseError {
  const candidate = value as DatabaseError;
  if (typeof candidate.driverError === 'object' && candidate.driverError !== null) return true;
  return typeof candidate.code === 'string' && /^[0-9A-Z]{5}$/.test(candidate.code) && typeof candidate.severity === 'string';
}

/**
 * A database error without its content. QueryFailedError carries the
 * statement's `parameters` (message text, metadata), and PostgreSQL's
 * `message`, `detail` and `where` quote values (`Failing row contains (…)`,
 * `invalid input syntax for type uuid: "…"`, `JSON data, line 1: …`). What
 * stays identifies the failure: the SQLSTATE, the routine, the table and
 * constraint, the SQL text (every value in it is a bind parameter) and the
 * stack frames.
 */
function withoutContent(error: DatabaseError): Error {
  const driver = error.driverError ?? error;
  // Same prototype, so the log still names the error's class; none of its own fields.
  const safe = Object.create(Object.getPrototypeOf(error) as object) as Error & Record<string, unknown>;
  const sqlState = typeof driver.code === 'string' ? driver.code : 'unknown';
  safe.message = `database error ${sqlState} (message and values withheld from the log)`;
  for (const field of namingFields) if (driver[field] !== undefined) safe[field] = driver[field];
  if (typeof error.query === 'string') safe.query = error.query;
  const frames = (error.stack ?? '').split('\n').filter((line) => line.trimStart().startsWith('at '));
  safe.stack = [`${error.name}: ${safe.message}`, ...frames].join('\n');
  return safe;
}

/** The error with every database error in its cause chain replaced; unchanged when there is none. */
export function withoutDatabaseContent(value: unknown, depth = 0): unknown {
  if (!(value instanceof Error) || depth > 8) return value;
  if (isDatabaseError(value)) return withoutContent(value);
  const cause: unknown = (value as { cause?: unknown }).cause;
  const safeCause = withoutDatabaseContent(cause, depth + 1);
  if (safeCause === cause) return value;
  // A copy with the same prototype (so the logged type stays the same) and the safe cause.
  const copy = Object.create(Object.getPrototypeOf(value) as object, Object.getOwnPropertyDescriptors(value)) as Error;
  Object.defineProperty(copy, 'cause', { value: safeCause, enumerable: false, configurable: true, writable: true });
  return copy;
}

/** pino's error serializer, after the database content is taken out. */
export const errorSerializer = (value: unknown) => pino.stdSerializers.err(withoutDatabaseContent(value) as Error);
