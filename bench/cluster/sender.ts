// The sending side of a cluster node process (resignal or socket.io): commands on stdin, one
// JSON line each, answered on stdout with {"done": id, ...}. Every message carries
// {s: its sequence number for that recipient, t: the send time in ms on the monotonic clock}
// (process.hrtime is CLOCK_MONOTONIC, the same clock in every process of this machine).
//   {"op":"burst","id":1,"to":[...],"count":N}          N messages round robin, as fast as it can
//   {"op":"paced","id":2,"to":[...],"rate":R,"ms":D}     R messages/s round robin for D ms (D: -1 = until stop)
//   {"op":"stop","id":3}                                 ends a paced run; answers with the counts sent
import { createInterface } from 'node:readline';

export type Send = (to: string, message: { s: number; t: number }) => void;

export const monotonicMs = () => Number(process.hrtime.bigint() / 1000n) / 1000;

interface Command {
  op: 'burst' | 'paced' | 'stop';
  id: number;
  to?: string[];
  count?: number;
  rate?: number;
  ms?: number;
}

/** Serve the commands with `send`; `out` writes one line of JSON to the parent. */
export function serveCommands(send: Send): void {
  const seq = new Map<string, number>();
  const next = (to: string) => {
    const s = (seq.get(to) ?? 0) + 1;
    seq.set(to, s);
    return s;
  };
  let pacing: { id: number; timer: NodeJS.Timeout; sent: number } | undefined;
  const out = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
  const sent = () => Object.fromEntries(seq);

  const burst = (c: Command) => {
    const to = c.to!;
    let i = 0;
    // Chunks, so that this node's own I/O (its sockets, Redis replies) runs in between.
    const chunk = () => {
      const end = Math.min(c.count!, i + 500);
      for (; i < end; i++) {
        const peer = to[i % to.length]!;
        send(peer, { s: next(peer), t: monotonicMs() });
      }
      if (i < c.count!) setImmediate(chunk);
      else out({ done: c.id, sent: c.count });
    };
    chunk();
  };

  const paced = (c: Command) => {
    const to = c.to!;
    const started = monotonicMs();
    const state = { id: c.id, sent: 0, timer: undefined as unknown as NodeJS.Timeout };
    const tick = () => {
      const elapsed = monotonicMs() - started;
      const due = Math.floor((Math.min(elapsed, c.ms! < 0 ? Infinity : c.ms!) * c.rate!) / 1000);
      for (; state.sent < due; state.sent++) {
        const peer = to[state.sent % to.length]!;
        send(peer, { s: next(peer), t: monotonicMs() });
      }
      if (c.ms! >= 0 && elapsed >= c.ms!) {
        clearInterval(state.timer);
        pacing = undefined;
        out({ done: c.id, sent: state.sent });
      }
    };
    state.timer = setInterval(tick, 1);
    pacing = state;
  };

  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    const c = JSON.parse(line) as Command;
    if (c.op === 'burst') burst(c);
    else if (c.op === 'paced') paced(c);
    else if (c.op === 'stop') {
      if (pacing) {
        clearInterval(pacing.timer);
        out({ done: pacing.id, sent: pacing.sent });
        pacing = undefined;
      }
      out({ done: c.id, perPeer: sent() });
    }
  });
  // The parent went away: so does this node.
  lines.on('close', () => process.exit(0));
}
