import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Inject, Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import type { AppConfig } from '#libs/config';
import { Database } from '#libs/persistence';
import { appConfigToken } from '../app.tokens.js';
import { appendAuditEvent } from '../audit/audit-log.js';
import { AuditKeyring } from '../audit/audit-keyring.js';
import { logger } from '../logging/logger.js';
import { Metrics } from '../metrics/metrics.js';
import { WebhookDeliveryRepository, type AttemptRecord, type ClaimedDelivery } from './webhook-delivery.repository.js';
import { bindDeliveryNudge } from './webhook-outbox.js';
import { deliveryBody } from './webhook-payloads.js';
import { WebhookRepository } from './webhook.repository.js';
import { webhookSignature } from './webhook-signature.js';
import { checkedLookup, literalHostRefused, RefusedTargetError } from './webhook-targets.js';

/** How much of a receiver's answer is kept for GET deliveries. */
const answerBytes = 1024;
/** The longest wait between two attempts. */
const maxRetryDelayMs = 3_600_000;
/** A lease outlives the request timeout by this much, so a live replica always settles its own attempt first. */
const leaseMarginMs = 5_000;

/** What one attempt came to. */
interface AttemptOutcome {
  status: number | null;
  error: string | null;
  answer: string | null;
  durationMs: number;
}

/**
 * Delivers the webhook outbox, on every replica (issue 21 item 2).
 *
 * A replica leases due deliveries (see WebhookDeliveryRepository.claim: only
 * the head of each webhook, FOR UPDATE SKIP LOCKED), sends each once, and
 * settles it: delivered on a 2xx; otherwise retried with exponential back-off
 * and jitter until `retryWindowMs` after its first attempt, when it fails and
 * the webhook is disabled (`webhook.disabled`, audited; a 410 answer disables
 * at once, as Standard Webhooks advises). At most `concurrency` requests are
 * in flight per replica and each is cut at `requestTimeoutMs`, and a webhook
 * has at most one delivery in flight anywhere, so a slow receiver holds one
 * slot, never another tenant's deliveries or the API.
 *
 * At least once: a replica that dies mid-request leaves its lease to expire
 * and another replica sends the same delivery again (same `webhook-id`).
 */
@Injectable()
export class WebhookDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private readonly running = new Set<Promise<void>>();
  private polling: Promise<void> | undefined;
  private stopped = true;
  private nudged = false;
  private readonly outcomes: Counter<'outcome'>;
  /** Kept-alive connections, at most one per slot; a pooled socket was checked (checkedLookup) when it was opened. */
  private readonly agents: { http: HttpAgent; https: HttpsAgent };

  constructor(
    private readonly database: Database,
    private readonly keyring: AuditKeyring,
    @Inject(appConfigToken) private readonly config: AppConfig,
    metrics: Metrics,
  ) {
    this.outcomes = new Counter({
      name: 'switchboard_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome: delivered, retried (a failed attempt to be tried again), failed (given up)',
      labelNames: ['outcome'] as const,
      registers: [metrics.registry],
    });
    const pool = { keepAlive: true, maxSockets: config.webhooks.concurrency, lookup: checkedLookup(config.webhooks.allowPrivateTargets) };
    this.agents = { http: new HttpAgent(pool), https: new HttpsAgent(pool) };
    // Transactions of this database that queue deliveries wake this loop when they commit.
    bindDeliveryNudge(database, () => this.nudge());
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops claiming, and waits for the attempts in flight to settle. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.polling;
    await Promise.allSettled([...this.running]);
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  /** Looks for due deliveries now (something was queued or re-queued on this replica). */
  nudge(): void {
    if (this.stopped) return;
    // A poll under way may have read before the nudging commit: it looks again when done.
    if (this.polling) this.nudged = true;
    else this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.polling = this.poll().finally(() => (this.polling = undefined));
    }, delayMs);
  }

  private async poll(): Promise<void> {
    const settings = this.config.webhooks;
    let claimedAll = false;
    try {
      const free = settings.concurrency - this.inFlight;
      if (free > 0) {
        const leaseSeconds = (settings.requestTimeoutMs + leaseMarginMs) / 1000;
        const claimed = await this.database.inPlatform((tx) => new WebhookDeliveryRepository(tx).claim(free, leaseSeconds));
        claimedAll = claimed.length === free;
        for (const delivery of claimed) this.launch(delivery);
      }
    } catch (error) {
      logger.error({ err: error }, 'could not claim webhook deliveries');
    }
    // A full claim may have left more due: look again at once (a slot frees up, or the next poll).
    const again = this.nudged || (claimedAll && this.inFlight < settings.concurrency);
    this.nudged = false;
    if (!this.stopped) this.schedule(again ? 0 : settings.pollIntervalMs);
  }

  private launch(delivery: ClaimedDelivery): void {
    this.inFlight++;
    const attempt = this.attempt(delivery)
      .catch((error: unknown) => logger.error({ err: error, deliveryId: delivery.id, webhookId: delivery.webhookId }, 'could not settle a webhook delivery'))
      .finally(() => {
        this.inFlight--;
        this.running.delete(attempt);
        // The webhook's next delivery became its head.
        this.nudge();
      });
    this.running.add(attempt);
  }

  private async attempt(delivery: ClaimedDelivery): Promise<void> {
    const key = this.keyring.find(delivery.secretKeyId);
    const outcome: AttemptOutcome = key
      ? await this.send(delivery, key.open(delivery.secretSealed, delivery.webhookId))
      : { status: null, error: `the audit key ${delivery.secretKeyId} that sealed the secret is not configured`, answer: null, durationMs: 0 };
    const record: AttemptRecord = { at: new Date(Date.now() - outcome.durationMs).toISOString(), status: outcome.status, error: outcome.error, durationMs: outcome.durationMs };
    const succeeded = outcome.status !== null && outcome.status >= 200 && outcome.status < 300;
    if (succeeded) {
      await this.database.inPlatform((tx) => new WebhookDeliveryRepository(tx).markDelivered(delivery.id, record, outcome.answer));
      this.outcomes.inc({ outcome: 'delivered' });
      return;
    }
    const gone = outcome.status === 410;
    const exhausted = gone || Date.now() - delivery.firstAttemptAt.getTime() >= this.config.webhooks.retryWindowMs;
    await this.database.inPlatform(async (tx) => {
      await new WebhookDeliveryRepository(tx).markAttemptFailed(delivery.id, record, outcome.answer, exhausted ? null : this.retryDelayMs(delivery.attempts));
      if (exhausted && (await new WebhookRepository(tx).disable(delivery.webhookId, gone ? 'gone' : 'retries_exhausted'))) {
        await appendAuditEvent(tx, delivery.tenantId, {
          type: 'webhook.disabled',
          actor: { kind: 'system', id: 'webhooks' },
          detail: { webhookId: delivery.webhookId, deliveryId: delivery.id, reason: gone ? 'gone' : 'retries_exhausted', attempts: delivery.attempts, lastStatus: outcome.status },
        });
      }
    });
    this.outcomes.inc({ outcome: exhausted ? 'failed' : 'retried' });
  }

  /** Exponential from `retryBaseMs`, at most an hour, with ±20% jitter so a recovering receiver is not hit by every retry at once. */
  private retryDelayMs(attempts: number): number {
    const exponential = Math.min(this.config.webhooks.retryBaseMs * 2 ** Math.min(attempts - 1, 30), maxRetryDelayMs);
    return Math.round(exponential * (0.8 + Math.random() * 0.4));
  }

  /** One POST, signed per Standard Webhooks; never follows a redirect (a 3xx is a failure, as the spec advises). */
  private send(delivery: ClaimedDelivery, secret: string): Promise<AttemptOutcome> {
    const started = Date.now();
    const settings = this.config.webhooks;
    const done = (outcome: Omit<AttemptOutcome, 'durationMs'>): AttemptOutcome => ({ ...outcome, durationMs: Date.now() - started });
    let url: URL;
    try {
      url = new URL(delivery.url);
    } catch {
      return Promise.resolve(done({ status: null, error: 'the URL is not valid', answer: null }));
    }
    if (literalHostRefused(url, settings.allowPrivateTargets)) {
      return Promise.resolve(done({ status: null, error: 'refused: the target is a loopback, private or link-local address', answer: null }));
    }
    const body = deliveryBody(delivery);
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'user-agent': 'Switchboard-Webhooks/1',
      'webhook-id': delivery.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': webhookSignature(secret, delivery.id, timestamp, body),
    };
    const secure = url.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    return new Promise<AttemptOutcome>((resolve) => {
      let settled = false;
      const finish = (outcome: Omit<AttemptOutcome, 'durationMs'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(done(outcome));
      };
      const outgoing = send(url, { method: 'POST', headers, lookup: checkedLookup(settings.allowPrivateTargets), agent: secure ? this.agents.https : this.agents.http }, (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        response.on('data', (chunk: Buffer) => {
          if (kept < answerBytes) chunks.push(chunk.subarray(0, answerBytes - kept));
          kept += chunk.length;
        });
        const answered = () => finish({ status: response.statusCode ?? null, error: null, answer: Buffer.concat(chunks).toString('utf8') || null });
        response.on('end', answered);
        response.on('error', answered);
      });
      const timer = setTimeout(() => {
        finish({ status: null, error: `no answer within ${settings.requestTimeoutMs} ms`, answer: null });
        outgoing.destroy();
      }, settings.requestTimeoutMs);
      outgoing.on('error', (error: NodeJS.ErrnoException) => {
        const refused = error instanceof RefusedTargetError;
        finish({ status: null, error: refused ? 'refused: the name resolves to a loopback, private or link-local address' : `connection failed (${error.code ?? 'error'})`, answer: null });
      });
      outgoing.end(body);
    });
  }
}
