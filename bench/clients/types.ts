/** Where a benchmark client connects: the server's (or a fault proxy's) address. */
export interface Target {
  host: string;
  port: number;
}

export interface ConnectOptions {
  /** First is preferred. Only resignal uses more than one (failover). */
  targets: Target[];
  /** resignal only: `heartbeat.interval` in ms (default: the library's default). */
  heartbeatMs?: number;
  /** socket.io only: turn on `retries` + `ackTimeout` (off by default in socket.io). */
  retries?: { retries: number; ackTimeout: number };
}

/** The same small surface over each library, so one harness drives them all. */
export interface BenchClient {
  request(method: string, data?: unknown): Promise<unknown>;
  notify(method: string, data?: unknown): void;
  /** Notifications from the server (not room broadcasts). */
  onNotification(listener: (method: string, data: unknown) => void): void;
  /** Rooms, for libraries that have them (or, for raw ws, the bench server's few lines of them). */
  rooms?: BenchRooms;
  /** The library itself reported that the link is gone (never called for close()). */
  onDown(listener: () => void): void;
  /** The library reported the link (re)opened and usable. */
  onUp(listener: () => void): void;
  close(): void;
}

export interface BenchRooms {
  join(room: string): Promise<void>;
  /** Send to every other member; resolves once the server has taken it. */
  broadcast(room: string, data: unknown): Promise<void>;
  /** Another member's broadcast arrived. */
  onBroadcast(listener: (data: unknown) => void): void;
}

export interface Contender {
  name: string;
  connect(options: ConnectOptions): Promise<BenchClient>;
}

export function first(options: ConnectOptions): Target {
  const target = options.targets[0];
  if (!target) throw new Error('no target');
  return target;
}
