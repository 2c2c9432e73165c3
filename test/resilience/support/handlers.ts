// What the chaos server's handlers take and answer, shared by the server child and the test.

export interface WorkData {
  key: string;
  a: number;
  b: number;
  /** How long the handler takes, so faults hit requests while they run. */
  ms: number;
  /** Fail with code UNLUCKY instead of answering. */
  fail: boolean;
}

export interface PushData {
  key: string;
  /** Notifications to send to the requesting session. */
  count: number;
  /** Wait before sending them, so some are queued while the peer is away. */
  ms: number;
}

/** The response a correct `work` run gives. */
export function workResult(data: WorkData): { key: string; sum: number } {
  return { key: data.key, sum: data.a + data.b };
}

/** The data of a `pushed` notification. */
export interface Pushed {
  key: string;
  /** The server incarnation that sent it, e.g. "A#2". */
  from: string;
}

/** The answer to `whoami`: where the asking peer's current session lives. */
export interface WhoAmI {
  server: string;
  peerId: string;
}
