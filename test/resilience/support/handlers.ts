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

/** `ask`: the server asks the requesting peer `echo-back` and reports how that went. */
export interface AskData {
  key: string;
  /** Wait before asking, so faults can come in between. */
  ms: number;
}

export type AskResult = { key: string; ok: true; answer: unknown } | { key: string; ok: false; code: string };

/** The Peer's `echo-back` handler, and so the answer a successful ask carries. */
export function echoBack(data: AskData): { echoed: string } {
  return { echoed: data.key };
}

/** Why a server request may fail under faults: the link dropped, it was slow, or the peer was elsewhere. */
export const ASK_FAILURES = ['CLOSED', 'TIMEOUT', 'UNREACHABLE'];
