import type { Redis } from 'ioredis';
import type { Claim, Delivery, Ended, Frame, Opened, OpenRequest, RoomRequest, RoomResult, RoomRefusal, StoreConnection, StoreHints, StoreLimits, StoredNote } from '../server/store/store.js';
import { RedisStoreError } from './errors.js';
import type { HintChannel } from './hints.js';

type Arg = string | number;
type Script = (...args: Arg[]) => Promise<unknown>;

/** The client with the scripts of scripts.ts defined on it. */
export type Commands = Redis &
  Record<'open' | 'detach' | 'end' | 'sweep' | 'beat' | 'revoke' | 'has' | 'ids' | 'push' | 'ack' | 'read' | 'claim' | 'renew' | 'finish' | 'room', Script>;

export interface ConnectionParts {
  cmd: Commands;
  sub: Redis;
  channel: HintChannel;
  prefix: string;
  node: string;
  hints: StoreHints;
  limits: StoreLimits;
  epoch: string;
  newEpoch: () => string;
  sweepBatch: number;
}

/** Lua reads limits as numbers; an unbounded one is sent as a number nothing reaches. */
const finite = (n: number) => (Number.isFinite(n) ? n : 1e300);

/** One node's connection to the Redis store: each method runs one script. */
export class RedisConnection implements StoreConnection {
  private epoch: string;
  /** prefix, epoch, node and the limits: the first arguments of every script. */
  private base: Arg[];
  private up = true;
  private closed = false;
  private checking: Promise<void> | undefined;

  constructor(private readonly parts: ConnectionParts) {
    this.epoch = parts.epoch;
    this.base = this.baseArgs();
    const { cmd } = parts;
    cmd.on('close', () => {
      if (this.closed || !this.up) return;
      this.up = false;
      parts.hints.health('down');
    });
    cmd.on('ready', () => void this.checkEpoch());
  }

  /** The epoch of the data this node works on; it changes when Redis came back empty. */
  get scope(): string {
    return this.epoch;
  }

  async disconnect(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.parts.channel.stop();
    await Promise.all([this.parts.cmd, this.parts.sub].map((client) => client.quit().catch(() => client.disconnect())));
  }

  async open({ peerId, create, ack, now }: OpenRequest): Promise<Opened | undefined> {
    const reply = (await this.run('open', peerId, create ? '1' : '0', ack ?? '', now)) as Arg[];
    if (reply[0] === 0) return undefined;
    const fence = Number(reply[1]);
    if (reply[0] === 1) return { fence, resumed: false, pending: [], lost: undefined };
    return { fence, resumed: true, pending: frames(reply, 3), lost: lost(String(reply[2])) };
  }

  async detach(peerId: string, fence: number, now: number, ttl: number): Promise<void> {
    await this.run('detach', peerId, fence, now, ttl);
  }

  async end(peerIds: readonly string[], why: 'kicked' | 'closed', reason: string, now: number): Promise<Ended> {
    return ended((await this.run('end', why, reason, now, ...peerIds)) as Arg[]);
  }

  async sweep(now: number): Promise<Ended> {
    return ended((await this.run('sweep', now, this.parts.sweepBatch)) as Arg[]);
  }

  async beat(now: number): Promise<boolean> {
    return (await this.run('beat', now)) === 1;
  }

  async revoke(peerId: string, until: number): Promise<void> {
    await this.run('revoke', peerId, until);
  }

  async has(peerId: string): Promise<boolean> {
    return (await this.run('has', peerId)) === 1;
  }

  async peerIds(): Promise<string[]> {
    return (await this.run('ids')) as string[];
  }

  async push(peerIds: readonly string[], note: StoredNote): Promise<Delivery[]> {
    if (peerIds.length === 0) return [];
    const reply = (await this.run('push', note.head, note.bulk ? '1' : '0', note.room ?? '', note.sender, ...peerIds)) as Arg[];
    return deliveries(reply, 0, note.head);
  }

  async ack(peerId: string, seq: number): Promise<void> {
    await this.run('ack', peerId, seq);
  }

  async read(peerId: string, afterSeq: number): Promise<Frame[]> {
    return frames((await this.run('read', peerId, afterSeq)) as Arg[], 0);
  }

  async claim(peerId: string, requestId: string, now: number): Promise<Claim> {
    const reply = (await this.run('claim', peerId, requestId, now)) as Arg[];
    if (reply[0] === 'run') return { kind: 'run', fence: Number(reply[1]), rerun: reply[2] === 1 };
    if (reply[0] === 'wait') return { kind: 'wait', until: Number(reply[1]) };
    return { kind: 'answer', text: String(reply[1]) };
  }

  async renew(peerId: string, requestId: string, fence: number, now: number): Promise<boolean> {
    return (await this.run('renew', peerId, requestId, fence, now)) === 1;
  }

  async finish(peerId: string, requestId: string, fence: number, text: string, now: number): Promise<string | false> {
    const reply = (await this.run('finish', peerId, requestId, fence, text, now)) as Arg[];
    return reply[0] === 1 ? String(reply[1]) : false;
  }

  async room(request: RoomRequest): Promise<RoomResult> {
    const { op, peerId, requestId, room, now, note } = request;
    const [answer, tail, extra] =
      request.op === 'join' ? [request.answer[0], request.answer[1], request.member] : request.op === 'signal' ? [request.answer, '', request.to] : [request.answer, '', ''];
    const reply = (await this.run('room', op, peerId, requestId, room, now, note.head, note.bulk ? '1' : '0', note.room ?? '', answer, tail, extra, note.sender)) as Arg[];
    if (reply[0] === 'x') return { refused: reply[1] as RoomRefusal };
    return { answer: String(reply[1]), deliveries: deliveries(reply, 2, note.head) };
  }

  private baseArgs(): Arg[] {
    const { prefix, node, limits: l } = this.parts;
    const limits = [l.maxBufferedNotifications, l.maxBufferedBytes, l.dedupeWindow, l.dedupeLimit, l.dedupeMaxBytes, l.leaseMs, l.nodeTtl, l.sessionTtl, l.maxPeers, l.maxRooms];
    return [prefix, this.epoch, node, ...limits.map(finite)];
  }

  private async run(name: keyof Commands & string, ...args: Arg[]): Promise<unknown> {
    if (this.closed) throw new RedisStoreError('UNAVAILABLE', 'RedisStore: this node disconnected from the store');
    const script = this.parts.cmd[name] as Script;
    try {
      return await script.call(this.parts.cmd, ...this.base, ...args);
    } catch (error) {
      throw this.failure(error);
    }
  }

  private failure(error: unknown): RedisStoreError {
    const message = error instanceof Error ? error.message : String(error);
    if (message.includes('RESIGNAL_EPOCH')) {
      void this.checkEpoch();
      return new RedisStoreError('RESET', 'RedisStore: Redis lost its data (restarted empty or flushed); sessions of the old scope are gone', error);
    }
    if (/timed out/i.test(message)) {
      this.hung();
      return new RedisStoreError('TIMEOUT', 'RedisStore: Redis did not answer in time; the operation may or may not have run', error);
    }
    if (/writeable/i.test(message)) return new RedisStoreError('UNAVAILABLE', 'RedisStore: Redis is unreachable; the operation did not run, retry once it is back', error);
    if (this.parts.cmd.status !== 'ready' || /connection|MaxRetriesPerRequest|ECONN/i.test(message)) {
      return new RedisStoreError('UNAVAILABLE', 'RedisStore: the connection to Redis dropped while the operation was in flight; it may or may not have run', error);
    }
    return new RedisStoreError('UNAVAILABLE', `RedisStore: ${message}`, error);
  }

  /**
   * A command got no reply within the command timeout: Redis hangs (SIGSTOP, a partition
   * that keeps the socket open). Treat it as down, so nodes stop accepting clients, and
   * reconnect: once Redis answers again, 'ready' checks the epoch and reports it back.
   */
  private hung(): void {
    if (this.closed || !this.up) return;
    this.up = false;
    this.parts.hints.health('down');
    this.parts.cmd.disconnect(true);
  }

  /**
   * After a reconnect (or a script that saw another epoch): is the data still ours? If the
   * epoch key is gone or changed, Redis lost its data: adopt the new epoch (creating it
   * if this node is first) and report a reset; else report that Redis is back.
   */
  private checkEpoch(): Promise<void> {
    this.checking ??= (async () => {
      try {
        const key = `${this.parts.prefix}epoch`;
        await this.parts.cmd.set(key, this.parts.newEpoch(), 'NX');
        const current = await this.parts.cmd.get(key);
        if (current === null || this.closed) return;
        const reset = current !== this.epoch;
        if (reset) {
          this.epoch = current;
          this.base = this.baseArgs();
        }
        if (reset || !this.up) {
          this.up = true;
          this.parts.hints.health(reset ? 'reset' : 'up');
        }
      } catch {
        // Down again: the next 'ready' checks again.
      } finally {
        this.checking = undefined;
      }
    })();
    return this.checking;
  }
}

function deliveries(reply: Arg[], from: number, head: string): Delivery[] {
  const out: Delivery[] = [];
  for (let i = from; i + 5 < reply.length; i += 6) {
    const seq = Number(reply[i + 2]);
    const overflow = reply[i + 4];
    out.push({
      peerId: String(reply[i]),
      node: String(reply[i + 1]),
      seq,
      text: `${(reply[i + 5] as string) || head},"seq":${seq}}`,
      dropped: Number(reply[i + 3]),
      overflow: overflow === 'count' || overflow === 'bytes' ? overflow : undefined,
    });
  }
  return out;
}

function ended(reply: Arg[]): Ended {
  const n = Number(reply[0]);
  return { peerIds: reply.slice(1, 1 + n).map(String), deliveries: deliveries(reply, 1 + n, '') };
}

function frames(reply: Arg[], from: number): Frame[] {
  const out: Frame[] = [];
  for (let i = from; i + 1 < reply.length; i += 2) out.push({ seq: Number(reply[i]), text: String(reply[i + 1]) });
  return out;
}

/** welcome.lost from the script's JSON `[count, named, room, n, ...]`. */
function lost(json: string): Opened['lost'] {
  if (json === '') return undefined;
  const [count, named, ...pairs] = JSON.parse(json) as Array<string | number>;
  if (named !== 1) return { count: Number(count) };
  const rooms: Record<string, number> = Object.create(null) as Record<string, number>;
  for (let i = 0; i + 1 < pairs.length; i += 2) rooms[String(pairs[i])] = Number(pairs[i + 1]);
  return { count: Number(count), rooms };
}
