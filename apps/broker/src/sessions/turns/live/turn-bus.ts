import pg from 'pg';
import { logger } from '../../../logging/logger.js';
import type { SessionEventView } from '../../session.schemas.js';

/** What a follower hears of a turn: each event as the replica running it hands it out (deltas included), in seq order. */
export type TurnEventHandler = (event: SessionEventView) => void;

/**
 * The live-turn bus: the replica running a turn publishes each of its events
 * once the client may see it (stored types after their commit, see
 * TurnRecorder); a follower of the turn on any replica hears them.
 * Delivery is at most once: a follower replays the transcript for what it
 * missed and de-duplicates by `seq` (see TurnFollower).
 */
export abstract class TurnBus {
  /** The turn runs on this replica until the returned function is called: its events are published while somebody follows it. */
  abstract runs(turnId: string): () => void;
  /** An event of a turn this replica runs (see `runs`): it reaches the turn's followers, if it has any. */
  abstract publish(event: SessionEventView): void;
  /**
   * Resolves once listening: every event of `turnId` published from then on
   * reaches `handler`, in publish order. The replica running the turn may
   * publish only from a moment after this resolves (it is told that the
   * turn is followed); `publishing` is called when it starts, with the seq
   * from which every event is published: the stored ones before it are in
   * the transcript by then. Returns the unsubscribe.
   */
  abstract subscribe(turnId: string, handler: TurnEventHandler, publishing?: (fromSeq: number) => void): Promise<() => Promise<void>>;
  abstract stop(): Promise<void>;
  /** Asks every replica to cancel `turnId`; the one running it does (see TurnCancellations). */
  abstract requestCancel(turnId: string): Promise<void>;
  /** Where this replica hears cancel requests (one handler). */
  abstract onCancelRequest(handler: (turnId: string) => void): void;

  /** Nest's shutdown hook: the bus closes with the application. */
  onModuleDestroy(): Promise<void> {
    return this.stop();
  }
}

/** Subscribers per turn, and calling them without letting one break the publisher. */
class Subscribers {
  private readonly byTurn = new Map<string, Set<TurnEventHandler>>();
  private readonly publishing = new Map<TurnEventHandler, (fromSeq: number) => void>();

  /** Calls the `publishing` callbacks of the turn's subscribers. */
  started(turnId: string, fromSeq: number): void {
    for (const handler of this.byTurn.get(turnId) ?? []) {
      try {
        this.publishing.get(handler)?.(fromSeq);
      } catch (error) {
        logger.error({ err: error, turnId }, 'a turn follower failed on the start of publishing');
      }
    }
  }

  add(turnId: string, handler: TurnEventHandler, publishing?: (fromSeq: number) => void): boolean {
    if (publishing) this.publishing.set(handler, publishing);
    let handlers = this.byTurn.get(turnId);
    const first = !handlers;
    if (!handlers) this.byTurn.set(turnId, (handlers = new Set()));
    handlers.add(handler);
    return first;
  }

  /** Whether that was the turn's last subscriber. */
  remove(turnId: string, handler: TurnEventHandler): boolean {
    const handlers = this.byTurn.get(turnId);
    if (!handlers?.delete(handler)) return false;
    this.publishing.delete(handler);
    if (handlers.size > 0) return false;
    this.byTurn.delete(turnId);
    return true;
  }

  turns(): string[] {
    return [...this.byTurn.keys()];
  }

  deliver(turnId: string, event: SessionEventView): void {
    for (const handler of this.byTurn.get(turnId) ?? []) {
      try {
        handler(event);
      } catch (error) {
        logger.error({ err: error, turnId }, 'a turn follower failed on an event');
      }
    }
  }
}

/** The embedded database admits one process: its turns and their followers meet in memory. */
export class InProcessTurnBus extends TurnBus {
  private readonly subscribers = new Subscribers();

  /** Publishing here costs a lookup, so every turn publishes (to nobody, mostly). */
  runs(): () => void {
    return () => undefined;
  }

  publish(event: SessionEventView): void {
    if (event.turnId) this.subscribers.deliver(event.turnId, event);
  }

  async subscribe(turnId: string, handler: TurnEventHandler): Promise<() => Promise<void>> {
    // Publishing never stops here: nothing was withheld, `publishing` has nothing to tell.
    this.subscribers.add(turnId, handler);
    return async () => void this.subscribers.remove(turnId, handler);
  }

  async stop(): Promise<void> {}

  private cancelHandler: ((turnId: string) => void) | undefined;

  async requestCancel(turnId: string): Promise<void> {
    this.cancelHandler?.(turnId);
  }

  onCancelRequest(handler: (turnId: string) => void): void {
    this.cancelHandler = handler;
  }
}

/** NOTIFY's payload limit is 8000 bytes; a little room is kept. */
const maxPayloadBytes = 7_800;
/** Base64 characters per fragment of an event too large for one payload. */
const fragmentChars = 7_000;
/** Notifications waiting for the connection at most; past that the oldest go (followers replay stored events). */
const maxQueued = 10_000;
const firstRetryMs = 1_000;
const maxRetryMs = 30_000;

/** The channel on which a cancel request (payload: the turn id) reaches every replica. */
const cancelChannel = 'switchboard_turn_cancel';
/** The channel on which a follower announces a turn it follows (payload: the turn id), so its runner starts publishing. */
const followChannel = 'switchboard_turn_follow';
/** How long an announcement for a turn not (yet) running here is remembered: the turn may be between its claim and its start. */
const earlyFollowMs = 60_000;
/** Events of a running turn kept while nobody follows it, at most. */
const recentKept = 64;
/** The payload that tells a turn's followers its runner publishes every event from seq `p` on. */
const publishingMarker = (fromSeq: number) => JSON.stringify({ p: fromSeq });
const channelOf = (turnId: string) => `sb_turn_${turnId}`;
const turnOfChannel = (channel: string) => (channel.startsWith('sb_turn_') ? channel.slice('sb_turn_'.length) : undefined);

interface Outgoing {
  channel: string;
  /** Events packed into one payload (a JSON array), or one fragment of a large event or the publishing marker (a JSON object). */
  events?: string[];
  bytes: number;
  fragment?: string;
}

/**
 * PostgreSQL LISTEN/NOTIFY, one channel per turn, on one dedicated
 * connection per replica (never a pooled one: a LISTEN belongs to its
 * session). Publishing costs no request any time: events queue and go out
 * packed, several per payload and a whole queue per statement, one
 * statement in flight at a time, so a fast stream costs one round trip per
 * batch, not per delta. NOTIFYs of one session arrive in order, so a
 * turn's events reach every follower in the order it published them. An
 * event over the payload limit goes as base64 fragments, reassembled by the
 * listener. Notifications are lost while the connection is down (followers
 * heal from the transcript); it reconnects with back-off and listens again.
 *
 * A turn nobody follows costs nothing here (issue 17): the runner publishes
 * a turn's events only once a follower announced it on {@link followChannel}
 * (after listening on the turn's channel), and first sends a marker, then
 * the last {@link recentKept} events it kept meanwhile; the follower
 * replays the transcript below the marker's seq, which holds what was
 * stored before. Older deltas are gone, as for any follower that came late.
 */
export class PostgresTurnBus extends TurnBus {
  private readonly subscribers = new Subscribers();
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client | undefined> | undefined;
  private retryMs = firstRetryMs;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private queue: Outgoing[] = [];
  private draining = false;
  /** Fragments of a large event being reassembled, per channel (one publisher per turn, in order). */
  private readonly fragments = new Map<string, string[]>();
  private readonly retired = new WeakSet<pg.Client>();
  private cancelHandler: ((turnId: string) => void) | undefined;
  /** Turns running on this replica: the seq of the next event (0 before the first), and the last events while nobody follows. */
  private readonly running = new Map<string, { next: number; recent: SessionEventView[] }>();
  /** Turns announced as followed, and when: those running here publish. */
  private readonly followed = new Map<string, number>();

  constructor(private readonly url: string) {
    super();
  }

  runs(turnId: string): () => void {
    this.running.set(turnId, { next: 0, recent: [] });
    // Announced between its claim and now.
    if (this.followed.has(turnId)) this.startPublishing(turnId);
    return () => {
      this.running.delete(turnId);
      this.followed.delete(turnId);
    };
  }

  publish(event: SessionEventView): void {
    if (!event.turnId || this.stopped) return;
    const turn = this.running.get(event.turnId);
    if (turn) turn.next = event.seq + 1;
    if (this.followed.has(event.turnId)) {
      this.enqueueEvent(event, event.turnId);
    } else if (turn) {
      // Kept a moment: a follower that announced itself hears them still (the announcement takes a round trip to get here).
      turn.recent.push(event);
      if (turn.recent.length > recentKept) turn.recent.shift();
    }
  }

  private enqueueEvent(event: SessionEventView, turnId: string): void {
    const channel = channelOf(turnId);
    const json = JSON.stringify(event);
    const bytes = Buffer.byteLength(json);
    if (bytes + 2 > maxPayloadBytes) {
      const encoded = Buffer.from(json).toString('base64');
      const count = Math.ceil(encoded.length / fragmentChars);
      for (let index = 0; index < count; index++) {
        this.enqueue({ channel, bytes: 0, fragment: JSON.stringify({ f: [index, count], d: encoded.slice(index * fragmentChars, (index + 1) * fragmentChars) }) });
      }
    } else {
      const last = this.queue.at(-1);
      // Packed with the event before it when they fit together (+1 for the comma).
      if (last?.events && last.channel === channel && last.bytes + bytes + 1 <= maxPayloadBytes) {
        last.events.push(json);
        last.bytes += bytes + 1;
      } else {
        this.enqueue({ channel, events: [json], bytes: bytes + 2 });
      }
    }
    void this.drain();
  }

  async subscribe(turnId: string, handler: TurnEventHandler, publishing?: (fromSeq: number) => void): Promise<() => Promise<void>> {
    const first = this.subscribers.add(turnId, handler, publishing);
    if (first) {
      const client = await this.connection();
      if (!client) {
        this.subscribers.remove(turnId, handler);
        throw new Error('the live-turn connection is not available');
      }
      try {
        // Listening first: the marker and every event published after the announcement reach this connection.
        await client.query(listenAndAnnounce(turnId));
      } catch (error) {
        this.subscribers.remove(turnId, handler);
        throw error;
      }
    }
    return async () => {
      if (this.subscribers.remove(turnId, handler)) await this.client?.query(`UNLISTEN ${pg.escapeIdentifier(channelOf(turnId))}`).catch(() => undefined);
    };
  }

  async requestCancel(turnId: string): Promise<void> {
    const client = await this.connection();
    if (!client) throw new Error('the live-turn connection is not available');
    await client.query('SELECT pg_notify($1, $2)', [cancelChannel, turnId]);
  }

  onCancelRequest(handler: (turnId: string) => void): void {
    this.cancelHandler = handler;
    // Listening from the start, so a cancel request reaches the replica running the turn.
    void this.connection();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    if (client) this.retired.add(client);
    await client?.end().catch(() => undefined);
  }

  private enqueue(outgoing: Outgoing): void {
    this.queue.push(outgoing);
    if (this.queue.length > maxQueued) this.queue.splice(0, this.queue.length - maxQueued);
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length > 0 && !this.stopped) {
        const client = await this.connection();
        if (!client) return;
        const batch = this.queue.splice(0, 200);
        const payloads = batch.map((outgoing) => outgoing.fragment ?? `[${outgoing.events!.join(',')}]`);
        try {
          await client.query('SELECT pg_notify(c, p) FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(c, p, n) ORDER BY n', [batch.map((outgoing) => outgoing.channel), payloads]);
        } catch (error) {
          logger.warn({ component: 'turn-bus', err: error, notifications: batch.length }, 'could not publish turn events; followers will replay them from the transcript');
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /** The connection, (re)connecting when there is none; undefined while it is down. */
  private connection(): Promise<pg.Client | undefined> {
    if (this.client) return Promise.resolve(this.client);
    if (this.stopped || this.retryTimer) return Promise.resolve(undefined);
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<pg.Client | undefined> {
    const client = new pg.Client({ connectionString: this.url, application_name: 'switchboard-turn-bus', connectionTimeoutMillis: 5_000, keepAlive: true });
    client.on('notification', (message) => this.onNotification(message.channel, message.payload));
    // A dropped connection surfaces here; without a listener it would crash the process.
    client.on('error', (error) => this.retire(client, error));
    client.on('end', () => this.retire(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${cancelChannel}; LISTEN ${followChannel}`);
      // Announced again: the runner may have missed it while this connection was down.
      for (const turnId of this.subscribers.turns()) await client.query(listenAndAnnounce(turnId));
    } catch (error) {
      this.retire(client, error);
      return undefined;
    }
    if (this.stopped) {
      this.retired.add(client);
      await client.end().catch(() => undefined);
      return undefined;
    }
    this.client = client;
    this.retryMs = firstRetryMs;
    return client;
  }

  private retire(client: pg.Client, error?: unknown): void {
    if (this.retired.has(client)) return;
    this.retired.add(client);
    if (this.client === client) this.client = undefined;
    void client.end().catch(() => undefined);
    this.fragments.clear();
    if (this.stopped || this.retryTimer) return;
    logger.warn({ component: 'turn-bus', err: error, retryInMs: this.retryMs }, 'the live-turn connection failed; reconnecting');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connection().then(() => this.drain());
    }, this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(maxRetryMs, this.retryMs * 2);
  }

  /** A follower announced `turnId`: publish it if it runs here (or starts to, soon). */
  private onFollow(turnId: string): void {
    const now = Date.now();
    for (const [id, at] of this.followed) if (!this.running.has(id) && now - at > earlyFollowMs) this.followed.delete(id);
    this.followed.set(turnId, now);
    if (this.running.has(turnId)) this.startPublishing(turnId);
  }

  /**
   * Publishing starts: the marker goes first (each follower that announced
   * gets one; a repeated one costs a replay), then the events kept while
   * nobody followed, then every later one. The marker names the first seq
   * published (0 before the turn's first event: no bound).
   */
  private startPublishing(turnId: string): void {
    const turn = this.running.get(turnId);
    const recent = turn?.recent.splice(0) ?? [];
    this.enqueue({ channel: channelOf(turnId), bytes: 0, fragment: publishingMarker(recent[0]?.seq ?? turn?.next ?? 0) });
    for (const event of recent) this.enqueueEvent(event, turnId);
    void this.drain();
  }

  private onNotification(channel: string, payload: string | undefined): void {
    if (channel === cancelChannel) {
      if (payload) this.cancelHandler?.(payload);
      return;
    }
    if (channel === followChannel) {
      if (payload) this.onFollow(payload);
      return;
    }
    const turnId = turnOfChannel(channel);
    if (!turnId || !payload) return;
    try {
      const parsed = JSON.parse(payload) as SessionEventView[] | { f: [number, number]; d: string } | { p: number };
      if (Array.isArray(parsed)) {
        for (const event of parsed) this.subscribers.deliver(turnId, event);
        return;
      }
      if ('p' in parsed) {
        this.subscribers.started(turnId, parsed.p);
        return;
      }
      const [index, count] = parsed.f;
      const parts = index === 0 ? [] : this.fragments.get(channel);
      // A fragment without its beginning (lost while reconnecting) is dropped with the rest of its event.
      if (!parts || parts.length !== index) {
        this.fragments.delete(channel);
        return;
      }
      parts.push(parsed.d);
      if (parts.length < count) {
        this.fragments.set(channel, parts);
        return;
      }
      this.fragments.delete(channel);
      this.subscribers.deliver(turnId, JSON.parse(Buffer.from(parts.join(''), 'base64').toString('utf8')) as SessionEventView);
    } catch (error) {
      logger.warn({ component: 'turn-bus', err: error, channel }, 'ignored a malformed turn notification');
    }
  }
}

/** One simple query: listen on the turn's channel, then announce the turn as followed. */
function listenAndAnnounce(turnId: string): string {
  return `LISTEN ${pg.escapeIdentifier(channelOf(turnId))}; SELECT pg_notify('${followChannel}', ${pg.escapeLiteral(turnId)})`;
}
