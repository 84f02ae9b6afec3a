import { z } from 'zod';

export const erasureView = z.object({
  user: z.string().describe('The user id as given'),
  erasedAt: z.string().describe('When the erasure was made (RFC 3339)'),
}).meta({ id: 'Erasure' });
export type ErasureView = z.infer<typeof erasureView>;
