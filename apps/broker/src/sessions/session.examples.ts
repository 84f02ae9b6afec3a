import type { CreateSessionBody, SessionView, TurnBody, TurnView } from './session.schemas.js';

/** Examples for the OpenAPI document (checked against their schemas when it is built). */

export const createSessionExample: CreateSessionBody = { agent: 'refund-assistant', provider: 'claude', metadata: { ticket: 'T-1' }, idleTimeoutSeconds: 900 };

export const sessionExample: SessionView = {
  id: 'ses_01JDQ7Z5N3W8K2C4V6B8M0P2R4',
  agent: { id: 'agt_01JDQ7YV5X2M9R3T6W8Z0B2D4F', name: 'refund-assistant' },
  provider: 'claude',
  user: 'u-42',
  status: 'idle',
  terminationReason: null,
  metadata: { ticket: 'T-1' },
  createdAt: '2026-12-04T09:00:00.000Z',
  lastActivityAt: '2026-12-04T09:00:00.000Z',
  idleExpiresAt: '2026-12-04T09:15:00.000Z',
  expiresAt: '2026-12-04T17:00:00.000Z',
  endedAt: null,
  idleTimeoutSeconds: 900,
  maxLifetimeSeconds: 28800,
  providerSession: { id: 'sesn_01' },
  usage: { turns: 0, inputTokens: 0, outputTokens: 0, activeSeconds: 0, costUsd: '0' },
};

export const turnExample: TurnBody = { input: 'Where is my refund?' };

export const turnResultExample: TurnView = {
  turn: {
    id: 'trn_01JDQ80B7C9D1F3G5H7J9K1M3N',
    status: 'completed',
    output: [{ type: 'text', text: 'Your refund was issued on 2 December; it takes 3–5 working days.' }],
    usage: { inputTokens: 812, outputTokens: 64, activeSeconds: 2.4 },
    durationMs: 2410,
  },
};
