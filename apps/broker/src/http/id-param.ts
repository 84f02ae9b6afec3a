import { z } from 'zod';
import { isId, type IdPrefix } from '#libs/ids';

/** A path id minted by the broker with `prefix` (`ses_...`); anything else is a 400, not a lookup. */
export const idParam = (prefix: IdPrefix) =>
  z.string().refine((value) => isId(prefix, value), { message: `must be an id starting with ${prefix}_` });
