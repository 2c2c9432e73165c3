import { EventEmitter } from 'eventemitter3';
import { nanoid } from 'nanoid';
import { ReconnectSchedule, type AttemptPlan } from './backoff.js';
import type { TimerHandle } from './env.js';
import { SignalError } from './errors.js';
import type { CloseCause, NotificationsLostEvent, PeerEvents, PeerState, PeerStats, RetryReason } from './events.js';
import { Liveness } from './liveness.js';
import { normalizeOptions, type NormalizedOptions, type PeerOptions, type RequestOptions } from './options.js';
import { CloseCode, isTerminalCloseCode } from './protocol/close-codes.js';
import { AckSchedule } from './acks.js';
import { answerRequest, type RequestHandler } from './answer.js';
import { messageOf } from './protocol/thrown.js';
import { decodeFrame, encodeFrame, encodeSized, validDelay } from './protocol/codec.js';
import { ServerFrame } from './protocol/frame-guards.js';
import type { RequestFrame, WelcomeFrame } from './protocol/frames.js';
import type { Room } from './room.js';
import type { PeerRooms, RoomsHost } from './room-registry.js';
import { REPLAY_MARK, SendBuffer } from './send-buffer.js';
import { ClientSession } from './session.js';
import type { Transport, TransportFactory } from './transport/transport.js';
import { webSocketTransport } from './transport/websocket.js';
import { NetworkWatch } from './network-watch.js';
import { LinkChunks } from './link-chunks.js';
import type { AnyContract, ContractShape, DataArgs, IsUntyped, NotificationData, NotificationMethod, RequestData, RequestMethod, RequestResult } from './contract.js';

/** `peer.rooms` before the first `Room.join()`. */
const NO_ROOMS: ReadonlyMap<string, Room> = new Map();

/**
 * The rooms of `peer`, made by `create` on first use. Only room.ts calls it, so the room code
 * stays out of a bundle that imports `Peer` alone.
 */
export let roomsOf: <R extends PeerRooms>(peer: Peer<any>, create: (host: RoomsHost) => R) => R;

/**
 * A resilient signaling client. It owns no socket code: it coordinates a Transport, the
 * SendBuffer, the reconnect schedule and liveness, and turns their outcomes into events.
 * `C`, a {@link Contract}, types the method names and payloads of `request()` and `notify()` (types only).
 */
export class Peer<C extends ContractShape = AnyContract> extends EventEmitter<PeerEvents> {
  readonly #options: NormalizedOptions;
  readonly #openTransport: TransportFactory;
  readonly #schedule: ReconnectSchedule;
  readonly #buffer: SendBuffer;
  readonly #liveness: Liveness;
  readonly #acks: AckSchedule;
  readonly #network: NetworkWatch;
  readonly #handlers = new Map<string, RequestHandler>();
  #rooms: PeerRooms | undefined;
  readonly #idPrefix = nanoid(10);
  #nextRequestId = 0;

  #currentState: PeerState = 'idle';
  readonly #session = new ClientSession();
  #currentUrl: string | undefined;
  /** Bumped for every attempt and on close, so callbacks from an older socket are ignored. */
  #generation = 0;
  #transport: Transport | undefined;
  #chunks: LinkChunks | undefined;
  #pending: AttemptPlan | undefined;
  #waitTimer: TimerHandle | undefined;
  #connectTimer: TimerHandle | undefined;
  #stableTimer: TimerHandle | undefined;
  #everOpened = false;
  /** While linkLost() emits `state` and `close`: no retry is planned yet, so reconnectNow() only asks for one at once. */
  #losingLink = false;
  #retryAtOnce = false;
  #waiters: Array<{ resolve(): void; reject(error: SignalError): void }> = [];
  #counters = { rtt: undefined as number | undefined, reconnects: 0, received: 0 };

  // Sets roomsOf, which needs this class's private names. A static field rather than a static
  // block, which Safari has only since 16.4.
  static readonly #plugRooms = (roomsOf = <R extends PeerRooms>(peer: Peer<any>, create: (host: RoomsHost) => R): R =>
    (peer.#rooms ??= create({
      request: (method, data) => peer.request(method, data),
      setTimeout: (fn, ms) => peer.#options.env.setTimeout(fn, ms),
      reportError: (error) => peer.#options.env.reportError(error),
    })) as R);

  constructor(options: PeerOptions) {
    super();
    this.#options = normalizeOptions(options);
    const { env } = this.#options;
    this.#openTransport = this.#options.transport ?? webSocketTransport(env.WebSocket, this.#options.maxInboundBytes);
    this.#acks = new AckSchedule(env, this.#options.acks, () => this.#transport?.send(encodeFrame({ type: 'ack', seq: this.#session.ack(this.#currentUrl!) })));
    this.#schedule = new ReconnectSchedule(this.#options.urls, this.#options.backoff, env.random);
    this.#buffer = new SendBuffer(this.#options.sendBuffer, env);
    this.#liveness = new Liveness(env, this.#options.heartbeat, {
      sendPing: (id) => this.#sendWithAck('ping', id),
      onDead: () => this.#linkLost(1006, `link dead: nothing received within the heartbeat deadline (${this.#options.heartbeat.maxMissed} × ${this.#options.heartbeat.interval} ms, or one interval after a probe)`, 'dead'),
      onRtt: (ms) => (this.#counters.rtt = ms),
    });
    this.#network = new NetworkWatch(env, {
      online: () => this.#attemptNow(),
      offline: () => this.#liveness.probe(),
      visible: () => {
        if (this.#liveness.silentFor() > this.#options.heartbeat.interval) this.#liveness.probe();
      },
    });
  }

  /** Server-assigned id; stable across reconnects while the server keeps the session. */
  get id(): string | undefined {
    return this.#session.id;
  }

  /** ICE servers the server handed this peer in its latest `welcome` (e.g. TURN credentials), if any. */
  get iceServers(): RTCIceServer[] | undefined {
    return this.#session.iceServers;
  }

  get state(): PeerState {
    return this.#currentState;
  }

  /** URL of the current (or last) attempt. */
  get url(): string | undefined {
    return this.#currentUrl;
  }

  /** The rooms this peer is in, by name (see `Room.join()`). */
  get rooms(): ReadonlyMap<string, Room> {
    return this.#rooms?.joined ?? NO_ROOMS;
  }

  stats(): PeerStats {
    return { ...this.#counters, sent: this.#buffer.written, buffered: this.#buffer.messages, bufferedBytes: this.#buffer.bytes };
  }

  /** Start connecting. Resolves on the first open; rejects only if the Peer closes first. */
  connect(): Promise<void> {
    if (this.#currentState === 'open') return Promise.resolve();
    if (this.#currentState === 'closed') return Promise.reject(new SignalError('CLOSED', 'connect() was called on a closed Peer; create a new Peer'));
    const opened = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    if (this.#currentState === 'idle') {
      this.#network.start();
      void this.#attempt(this.#schedule.start());
    }
    return opened;
  }

  /** Send a request and wait for its response. Queued while offline; replayed after a reconnect. */
  request<M extends RequestMethod<C>>(method: M, ...args: DataArgs<RequestData<C, M>, [options?: RequestOptions]>): Promise<RequestResult<C, M>>;
  /** Without a contract: any method, and `T` says what the response data is. */
  request<T = unknown>(method: IsUntyped<C> extends true ? string : never, data?: unknown, options?: RequestOptions): Promise<T>;
  request<T = unknown>(method: string, data?: unknown, options: RequestOptions = {}): Promise<T> {
    if (this.#currentState === 'closed') return Promise.reject(this.#closedError(`request "${method}"`));
    const id = `${this.#idPrefix}.${(this.#nextRequestId++).toString(36)}`;
    const timeout = options.timeout ?? this.#options.requestTimeout;
    if (!validDelay(timeout)) return Promise.reject(new TypeError(`resignal: request "${method}": \`timeout\` must be a number of ms above 0 and at most 2147483647, got ${String(timeout)}`));
    let encoded: { text: string; bytes: number };
    try {
      // Leave room for the replay mark: a replay over the server's maxPayload would be closed with 1009 on every reconnect.
      const max = this.#options.maxSignalBytes;
      encoded = encodeSized({ type: 'request', id, method, data }, max - REPLAY_MARK.length, `request "${method}"`, `maxSignalBytes (${max}) less ${REPLAY_MARK.length} bytes kept for a replay's mark`);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#buffer.request({
      id,
      method,
      text: encoded.text,
      bytes: encoded.bytes,
      timeout,
      signal: options.signal,
      replay: options.replay ?? true,
    }) as Promise<T>;
  }

  /** Fire-and-forget. Queued while offline, never replayed once written. Throws `TOO_LARGE`, `BUFFER_FULL`, `CLOSED`. */
  notify<M extends NotificationMethod<C>>(method: M, ...args: DataArgs<NotificationData<C, M>>): void;
  notify(method: string, data?: unknown): void {
    if (this.#currentState === 'closed') throw this.#closedError(`notification "${method}"`);
    const { text, bytes } = encodeSized({ type: 'notification', method, data }, this.#options.maxSignalBytes, `notification "${method}"`, `maxSignalBytes (${this.#options.maxSignalBytes})`);
    this.#buffer.notify(text, bytes, method);
  }

  /** Answer requests the server sends to this peer. The return value (or a thrown error) is the response. */
  handle(method: string, handler: RequestHandler): this {
    this.#handlers.set(method, handler);
    return this;
  }

  /** Try now: skip a pending backoff wait, or replace an open link (e.g. after a network change). */
  reconnectNow(): void {
    if (this.#currentState === 'open') this.#linkLost(1000, 'reconnectNow() called', 'manual');
    else if (this.#losingLink) this.#retryAtOnce = true; // from a state or close listener: retry() has not run yet
    this.#attemptNow();
  }

  /** Close for good: rejects everything pending with `CLOSED`. Idempotent. */
  close(): void {
    if (this.#currentState === 'closed') return;
    this.#shutdown(new SignalError('CLOSED', 'the Peer was closed with peer.close(); create a new Peer to connect again'), 1000, 'closed by client', 'client');
  }

  async #attempt(plan: AttemptPlan): Promise<void> {
    const generation = ++this.#generation;
    this.#pending = undefined;
    this.#waitTimer = undefined;
    this.#currentUrl = plan.url;
    this.#setState(this.#everOpened ? 'reconnecting' : 'connecting');
    if (generation !== this.#generation) return; // a state listener called close()
    // Armed before the token fetch: a hung token function must not hang the Peer either.
    this.#connectTimer = this.#options.env.setTimeout(() => this.#attemptFailed(generation, 'connect-timeout'), this.#options.connectTimeout);
    let token: string | undefined;
    const source = this.#options.token;
    if (source !== undefined) {
      try {
        token = typeof source === 'function' ? await source() : source;
      } catch (cause) {
        if (generation !== this.#generation) return;
        this.#emitSafe('error', new SignalError('UNREACHABLE', `the token function failed (${messageOf(cause)}); retrying with backoff`, { cause }));
        return this.#attemptFailed(generation, 'token-failed');
      }
      if (generation !== this.#generation) return;
    }
    const chunks = (this.#chunks = new LinkChunks(this.#options.maxMessageBytes, this.#options.maxSignalBytes));
    try {
      this.#transport = this.#openTransport(plan.url, {
        onOpen: () => generation === this.#generation && this.#transport?.send(encodeFrame({ ...this.#session.hello(plan.url, token), chunks: this.#options.maxSignalBytes, heartbeat: this.#options.heartbeat.interval })),
        onMessage: (data) => generation === this.#generation && this.#receive(data),
        onClose: (code, reason) => generation === this.#generation && this.#closed(code, reason),
      });
    } catch (cause) {
      // e.g. a malformed URL: the WebSocket constructor throws synchronously.
      this.#emitSafe('error', new SignalError('UNREACHABLE', `could not open ${plan.url}: ${messageOf(cause)}`, { cause }));
      this.#attemptFailed(generation, 'connect-failed');
    }
  }

  #receive(data: unknown): void {
    this.#counters.received++;
    this.#liveness.received();
    this.#dispatch(data);
  }

  /** One frame, or a message rebuilt from chunks. */
  #dispatch(data: unknown): void {
    const decoded = decodeFrame(ServerFrame, data);
    if (!decoded.ok) return this.#emitSafe('error', decoded.error);
    const frame = decoded.frame;
    if (frame.type === 'welcome') return this.#opened(frame);
    if (this.#currentState !== 'open') return;
    switch (frame.type) {
      case 'response':
        this.#buffer.settle(frame.id, frame.ok ? { ok: true, data: frame.data } : { ok: false, error: new SignalError('REMOTE', `server answered "${frame.error.code}": ${frame.error.message}`, { remoteCode: frame.error.code }) });
        return;
      case 'notification': {
        // Resent notifications after a resume carry seqs we may have seen: deliver each once.
        const lost = this.#session.accept(this.#currentUrl!, frame.seq);
        if (lost < 0) return;
        if (frame.seq !== undefined) this.#acks.received();
        if (lost > 0 && !this.#reportLost({ count: lost })) return;
        if (this.#rooms?.route(frame.method, frame.data, (data as string).length)) return;
        return this.#emitSafe('notification', { method: frame.method, data: frame.data });
      }
      case 'request':
        return void this.#answer(frame, this.#generation);
      case 'pong':
        return this.#liveness.pong(frame.id);
      case 'ping': // the server's (welcome.heartbeat): it has not heard from us for a while
        return this.#sendWithAck('pong', frame.id);
      case 'chunk': {
        // A chunk inside a chunked message is only another chunk, of a shorter text.
        const read = this.#chunks!.read(frame);
        if (typeof read === 'string') return this.#dispatch(read);
        if (read) this.#emitSafe('error', read);
        return;
      }
    }
  }

  #opened(welcome: WelcomeFrame): void {
    if (this.#currentState === 'open') return;
    this.#connectTimer = this.#clear(this.#connectTimer);
    // A new session numbers from 1 again, even under the same id; so does any other session,
    // whatever a (buggy) server claims in `resumed`.
    this.#session.welcomed(this.#currentUrl!, welcome);
    if (this.#everOpened) this.#counters.reconnects++;
    this.#everOpened = true;
    this.#schedule.opened();
    this.#stableTimer = this.#options.env.setTimeout(() => this.#schedule.stable(), this.#options.heartbeat.interval);
    const generation = this.#generation;
    this.#setState('open');
    if (generation !== this.#generation) return; // a state listener called close() or reconnectNow()
    this.#liveness.start(welcome.heartbeat !== undefined);
    const transport = this.#transport!;
    const chunks = this.#chunks!;
    const send = (text: string) => transport.send(text);
    const fit = chunks.welcomed(welcome.chunks);
    this.#buffer.attach((text) => chunks.write(send, text), { ...fit, dropped: (error) => this.#emitSafe('error', error) });
    if (generation !== this.#generation) return; // an error listener closed or replaced the link
    this.#rooms?.opened(welcome.resumed);
    this.#emitSafe('open', { url: this.#currentUrl!, resumed: welcome.resumed, peerId: welcome.peer });
    const lost = welcome.lost;
    if (lost && lost.count > 0 && generation === this.#generation) this.#reportLost(lost.rooms ? { count: lost.count, rooms: lost.rooms } : { count: lost.count });
    for (const waiter of this.#waiters.splice(0)) waiter.resolve();
  }

  /** A ping or pong, with the highest notification seq received (the server frees what it buffered up to it). */
  #sendWithAck(type: 'ping' | 'pong', id: number): void {
    const ack = this.#session.ack(this.#currentUrl!);
    this.#acks.sent();
    this.#transport?.send(encodeFrame(ack > 0 ? { type, id, ack } : { type, id }));
  }

  async #answer(frame: RequestFrame, generation: number): Promise<void> {
    const body = await answerRequest(this.#handlers, frame, { method: frame.method, peer: this });
    // The server's request fails when its link drops, so a response for an older link is useless.
    if (generation !== this.#generation || this.#currentState !== 'open') return;
    try {
      const { text, bytes } = encodeSized({ type: 'response', id: frame.id, ...body }, this.#options.maxSignalBytes, `response to "${frame.method}"`, `maxSignalBytes (${this.#options.maxSignalBytes})`);
      return this.#buffer.notify(text, bytes, frame.method); // TOO_LARGE when over what the link carries
    } catch (error) {
      // Still answer exactly once, so the server's request fails now rather than timing out.
      const { text, bytes } = encodeSized({ type: 'response', id: frame.id, ok: false, error: { code: 'INTERNAL', message: (error as Error).message } }, Infinity, '');
      this.#emitSafe('error', error as SignalError);
      if (generation !== this.#generation) return; // an error listener closed or replaced the link
      this.#buffer.notify(text, bytes, frame.method);
    }
  }

  #closed(code: number, reason: string): void {
    if (isTerminalCloseCode(code)) {
      const error = new SignalError('KICKED', `the server closed the link with terminal code ${code}${reason ? ` ("${reason}")` : ''}; not reconnecting. Check the token, protocol version or why the server removed this peer`, { closeCode: code, closeReason: reason });
      this.#shutdown(error, code, reason, 'kicked');
      return this.#emitSafe('error', error);
    }
    if (this.#currentState === 'open') this.#linkLost(code, reason, code === CloseCode.TOKEN_EXPIRED ? 'token-expired' : 'closed');
    else this.#attemptFailed(this.#generation, 'connect-failed');
  }

  /** The open link is gone (closed, dead, or replaced): reconnect on the `reconnect` schedule. */
  #linkLost(code: number, reason: string, why: RetryReason & CloseCause): void {
    this.#dropLink();
    const generation = this.#generation;
    this.#losingLink = true;
    this.#retryAtOnce = false;
    this.#setState('reconnecting');
    if (generation === this.#generation) this.#emitSafe('close', { code, reason, willReconnect: true, cause: why });
    this.#losingLink = false;
    if (generation !== this.#generation) return; // a state or close listener called close()
    this.#retry(true, why);
    if (this.#retryAtOnce) this.#attemptNow(); // a state or close listener called reconnectNow()
  }

  #attemptFailed(generation: number, why: RetryReason): void {
    if (generation !== this.#generation) return;
    this.#dropLink();
    this.#retry(false, why);
  }

  #retry(dropped: boolean, why: RetryReason): void {
    // An expired token: the session waits on the server, so come back for it at once.
    const plan = why === 'token-expired' ? this.#schedule.again() : this.#schedule.next(dropped);
    if (!plan) {
      const error = new SignalError('UNREACHABLE', `gave up after ${this.#schedule.attemptCount} failed attempts (backoff.maxAttempts) on ${this.#options.urls.join(', ')}; check the server and network, then create a new Peer`);
      this.#shutdown(error, 1006, 'unreachable', 'unreachable');
      return this.#emitSafe('error', error);
    }
    const generation = this.#generation;
    if (plan.exhausted) this.#emitSafe('exhausted', { attempts: this.#schedule.attemptCount - 1, urls: this.#options.urls });
    if (generation !== this.#generation) return; // an exhausted listener called close()
    this.#setState(this.#everOpened ? 'reconnecting' : 'connecting');
    if (generation !== this.#generation) return; // a state listener called close()
    this.#pending = plan;
    this.#emitSafe('reconnecting', { attempt: plan.attempt, delay: plan.delay, url: plan.url, reason: why });
    if (this.#pending !== plan) return; // a listener called close() or reconnectNow()
    this.#waitTimer = this.#options.env.setTimeout(() => void this.#attempt(plan), plan.delay);
  }

  /** Skip the backoff wait, if one is pending (the network came back, or reconnectNow()). */
  #attemptNow(): void {
    const plan = this.#pending;
    if (!plan) return;
    this.#waitTimer = this.#clear(this.#waitTimer);
    void this.#attempt({ ...plan, delay: 0 });
  }

  #dropLink(): void {
    this.#generation++;
    this.#connectTimer = this.#clear(this.#connectTimer);
    this.#stableTimer = this.#clear(this.#stableTimer);
    this.#liveness.stop();
    this.#acks.stop();
    this.#buffer.detach();
    this.#transport?.terminate();
    this.#transport = undefined;
  }

  #shutdown(error: SignalError, code: number, reason: string, cause: CloseCause): void {
    const started = this.#currentState !== 'idle';
    this.#generation++;
    this.#pending = undefined;
    this.#waitTimer = this.#clear(this.#waitTimer);
    this.#connectTimer = this.#clear(this.#connectTimer);
    this.#stableTimer = this.#clear(this.#stableTimer);
    this.#liveness.stop();
    this.#acks.stop();
    this.#network.stop();
    this.#transport?.close(1000, 'closed by client');
    this.#transport = undefined;
    this.#rooms?.closed(error);
    this.#buffer.failAll(error);
    this.#setState('closed');
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
    if (started) this.#emitSafe('close', { code, reason, willReconnect: false, cause });
  }

  /** Tell the app (and the rooms) that notifications never arrived. False once a listener replaced or closed the link. */
  #reportLost(event: NotificationsLostEvent): boolean {
    const generation = this.#generation;
    this.#emitSafe('notifications-lost', event);
    if (generation === this.#generation) this.#rooms?.lost(event.count, event.rooms);
    return generation === this.#generation;
  }

  #closedError(what: string): SignalError {
    return new SignalError('CLOSED', `${what} was not sent: the Peer is closed; create a new Peer`);
  }

  #setState(to: PeerState): void {
    const from = this.#currentState;
    if (from === to) return;
    this.#currentState = to;
    this.#emitSafe('state', { from, to });
  }

  /** Clears a timer handle if set; returns undefined to store back in its field. */
  #clear(timer: TimerHandle | undefined): undefined {
    if (timer !== undefined) this.#options.env.clearTimeout(timer);
    return undefined;
  }

  /** A throwing listener must not break the Peer's bookkeeping. */
  #emitSafe<E extends keyof PeerEvents>(event: E, ...args: Parameters<PeerEvents[E]>): void {
    try {
      (this.emit as (event: E, ...args: Parameters<PeerEvents[E]>) => boolean)(event, ...args);
    } catch (error) {
      this.#options.env.reportError(error);
    }
  }
}
