import { z } from 'zod';

/**
 * The user namespaces (README: Identity).
 *
 * An app key's end user is the `X-End-User` string, kept as given. A JWT's
 * user is its subject in a namespace of its own, `jwt:<sub>`, and no
 * `X-End-User` may take that form: an app key cannot act as a JWT user, and
 * a token cannot act as an app key's end user, even when the strings match.
 * Everything keyed by user (sessions, limits, budgets, audit, costs) follows
 * from the one id, so the two namespaces never share a row.
 */
export const jwtUserPrefix = 'jwt:';

/** The shape of a user a caller names (API.md §1): 1–256 printable ASCII characters. */
const userNamePattern = /^[\x20-\x7e]{1,256}$/;

export const userNameRule = 'must be 1-256 printable characters';

/** Whether an `X-End-User` value or a JWT subject has the shape of a user name. */
export const isWellFormedUserName = (value: string): boolean => userNamePattern.test(value);

/** Case-insensitively, so that `JWT:alice` cannot pass for `jwt:alice` in a human's eyes either. */
export const takesJwtUserForm = (value: string): boolean => value.slice(0, jwtUserPrefix.length).toLowerCase() === jwtUserPrefix;

/**
 * The namespace of erased users' pseudonyms (README: Retention and erasure):
 * no caller may act as one, so an erased user's records are reachable by
 * nobody's X-End-User (a JWT user is always `jwt:`-prefixed).
 */
export const erasedUserPrefix = 'erased:';

export const takesErasedUserForm = (value: string): boolean => value.slice(0, erasedUserPrefix.length).toLowerCase() === erasedUserPrefix;

/** The id a JWT's user is bound under. */
export const jwtUserId = (subject: string): string => jwtUserPrefix + subject;

/** A user id named in a path or query (filters, per-user limits, admin routes): an end user, or `jwt:` + a subject. */
export const userIdSchema = z
  .string()
  .min(1)
  .max(jwtUserPrefix.length + 256)
  .regex(/^[\x20-\x7e]+$/, 'printable characters');
