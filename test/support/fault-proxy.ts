// A small TCP proxy that injects the network faults our integration tests need.
// `tc netem` does not exist on the CI kernel and there is no toxiproxy package,
// so latency and blackholes have to be made in userspace (see BROWSER-TESTING.md).
import net from 'node:net';

export type FaultMode = 'pass' | 'blackhole' | 'refuse';

export interface Target {
  host: string;
  port: number;
}

export interface FaultProxyOptions {
  target: Target;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 0 (any free port) */
  port?: number;
}

/** One direction of a connection: forwards chunks from `src` to `dst`, in order, after `latency` ms. */
class Pipe {
  private readonly queue: { due: number; chunk: Buffer }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private endAfterQueue = false;

  constructor(
    private readonly dst: net.Socket,
    private readonly latency: () => number,
  ) {}

  push(chunk: Buffer): void {
    const ms = this.latency();
    // Writing directly only when nothing is queued keeps order when latency drops to 0.
    if (ms <= 0 && this.queue.length === 0) return this.write(chunk);
    this.queue.push({ due: Date.now() + ms, chunk });
    this.schedule();
  }

  /** Forward the FIN once every queued chunk has gone out. */
  end(): void {
    this.endAfterQueue = true;
    if (this.queue.length === 0) this.dst.end();
  }

  /** Forget queued data (the connection is being torn down). */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  // One timer per direction that drains a FIFO, instead of one timer per chunk:
  // timers of different durations are not ordered against each other in Node,
  // so a latency change mid-stream could otherwise reorder bytes.
  private schedule(): void {
    const head = this.queue[0];
    if (this.timer || !head) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const now = Date.now();
      while (this.queue[0] && this.queue[0].due <= now) this.write(this.queue.shift()!.chunk);
      if (this.queue.length > 0) this.schedule();
      else if (this.endAfterQueue) this.dst.end();
    }, Math.max(0, head.due - Date.now()));
  }

  private write(chunk: Buffer): void {
    // Backpressure is ignored on purpose: test traffic is small, and a stalled
    // reader must not stall the proxy's other direction.
    if (this.dst.writable) this.dst.write(chunk);
  }
}

interface Pair {
  client: net.Socket;
  /** Absent for connections accepted during a blackhole: they never reach the server. */
  upstream?: net.Socket;
  up?: Pipe; // client -> upstream
  down: Pipe; // upstream -> client
  /** Set once the pair lost bytes (blackhole) or was dropped: it never forwards again. */
  dead: boolean;
}

export class FaultProxy {
  /** Total connections accepted since start, including refused ones. */
  accepted = 0;

  private readonly pairs = new Set<Pair>();
  private target: Target;
  private currentMode: FaultMode = 'pass';
  private delayMs = 0;
  private closed: Promise<void> | undefined;

  private constructor(
    private readonly server: net.Server,
    opts: FaultProxyOptions,
  ) {
    this.target = { ...opts.target };
    server.on('connection', (socket) => this.accept(socket));
  }

  static async start(opts: FaultProxyOptions): Promise<FaultProxy> {
    const server = net.createServer();
    const proxy = new FaultProxy(server, opts);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return proxy;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  url(path = '/rtc'): string {
    return `ws://${(this.server.address() as net.AddressInfo).address}:${this.port}${path}`;
  }

  /** Later connections go to `target`; open ones keep their upstream. */
  setTarget(target: Target): void {
    this.target = { ...target };
  }

  mode(mode: FaultMode): void {
    this.currentMode = mode;
  }

  /** One-way delay added to every chunk, in each direction. */
  latency(ms: number): void {
    this.delayMs = Math.max(0, ms);
  }

  /** Abort every open pair with a TCP RST on both sides (a ws client sees 1006). */
  resetAll(): void {
    this.killAll(reset);
  }

  /** End every open pair with a FIN on both sides, as if both peers had closed. */
  dropAll(): void {
    this.killAll((socket) => socket.end());
  }

  /** Client connections currently open. */
  get connections(): number {
    let n = 0;
    for (const pair of this.pairs) if (!pair.client.destroyed) n++;
    return n;
  }

  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.killAll((socket) => socket.destroy());
      this.pairs.clear();
    });
    return this.closed;
  }

  /** Mark every pair dead (nothing more is forwarded) and apply `how` to both sides. */
  private killAll(how: (socket: net.Socket) => void): void {
    for (const pair of this.pairs) {
      pair.dead = true;
      pair.up?.clear();
      pair.down.clear();
      how(pair.client);
      if (pair.upstream) how(pair.upstream);
    }
  }

  private accept(client: net.Socket): void {
    this.accepted++;
    client.on('error', () => {}); // resets are expected; 'close' below propagates them
    if (this.currentMode === 'refuse' || this.closed) return void reset(client);

    // A connection accepted during a blackhole gets no upstream at all: the server
    // must not see it, and the client's first bytes would be lost anyway.
    const upstream = this.currentMode === 'blackhole' ? undefined : net.connect(this.target);
    upstream?.on('error', () => {});
    const delay = () => this.delayMs;
    const pair: Pair = {
      client,
      upstream,
      up: upstream && new Pipe(upstream, delay),
      down: new Pipe(client, delay),
      dead: !upstream,
    };
    this.pairs.add(pair);

    // Anything arriving during a blackhole is discarded. Losing bytes (or a FIN)
    // breaks the stream for good (a WebSocket frame may be cut in half), so such a
    // pair stays dead even after mode('pass'); only new connections recover.
    const lost = () => {
      if (this.currentMode === 'blackhole') pair.dead = true;
      return pair.dead;
    };
    const link = (from: net.Socket, to: net.Socket | undefined, pipe: Pipe | undefined) => {
      from.on('data', (chunk: Buffer) => {
        if (!lost()) pipe?.push(chunk);
      });
      from.on('end', () => {
        if (!lost()) pipe?.end();
      });
      from.on('close', (hadError) => {
        if (client.destroyed && (!upstream || upstream.destroyed)) this.pairs.delete(pair);
        if (lost() || !to || !pipe) return;
        if (hadError) reset(to); // an RST on one side becomes an RST on the other
        else pipe.end();
      });
    };
    link(client, upstream, pair.up);
    if (upstream) link(upstream, client, pair.down);
  }
}

/** Send an RST where possible; a socket that never connected is just destroyed. */
function reset(socket: net.Socket): void {
  if (socket.destroyed) return;
  if (socket.connecting || socket.remoteAddress) socket.resetAndDestroy();
  else socket.destroy();
}
