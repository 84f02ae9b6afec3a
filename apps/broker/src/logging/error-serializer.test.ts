import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { QueryFailedError } from 'typeorm';
import { AppError } from '#libs/errors';
import { errorSerializer } from './error-serializer.js';

/** The driver error PostgreSQL sends for a failed CHECK, as pg builds it. */
function checkViolation(): InstanceType<typeof pg.DatabaseError> {
  const error = new pg.DatabaseError('new row for relation "tenants" violates check constraint "probe"', 120, 'error');
  Object.assign(error, { code: '23514', severity: 'ERROR', table: 'tenants', constraint: 'probe', routine: 'ExecConstraints', detail: 'Failing row contains (ten_1, the-secret, 2026-01-01).' });
  return error;
}

test('a QueryFailedError keeps its SQLSTATE, names and SQL, and loses parameters, message and detail', () => {
  const failed = new QueryFailedError('INSERT INTO tenants (id, name) VALUES ($1, $2)', ['ten_1', 'the-secret'], checkViolation());
  const logged = errorSerializer(failed) as unknown as Record<string, unknown>;
  assert.deepEqual(
    { type: logged.type, code: logged.code, table: logged.table, constraint: logged.constraint, routine: logged.routine, query: logged.query },
    { type: 'QueryFailedError', code: '23514', table: 'tenants', constraint: 'probe', routine: 'ExecConstraints', query: 'INSERT INTO tenants (id, name) VALUES ($1, $2)' },
  );
  assert.ok(!JSON.stringify(logged).includes('the-secret'));
  assert.ok(!JSON.stringify(logged).includes('violates'), 'the message is withheld too: PostgreSQL messages may quote values');
  assert.match(String(logged.stack), /^QueryFailedError: database error 23514/);
});

test('a database error as the cause of another error is cleaned as well; the outer error keeps its type', () => {
  const wrapped = new AppError('internal', 'an unexpected error occurred', {}, { cause: new QueryFailedError('SELECT $1', ['the-secret'], checkViolation()) });
  const logged = errorSerializer(wrapped) as unknown as Record<string, unknown>;
  assert.equal(logged.type, 'AppError');
  assert.match(String(logged.message), /^an unexpected error occurred: database error 23514/);
  assert.match(String(logged.stack), /caused by: QueryFailedError: database error 23514/);
  assert.ok(!JSON.stringify(logged).includes('the-secret'));
});

test('other errors are logged as pino always did', () => {
  const logged = errorSerializer(new TypeError('boom')) as unknown as Record<string, unknown>;
  assert.deepEqual([logged.type, logged.message], ['TypeError', 'boom']);
});
