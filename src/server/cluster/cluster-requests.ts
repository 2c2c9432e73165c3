import type { TimerHandle } from '../../env.js';
import type { RequestFrame } from '../../protocol/frames.js';
import { codeOf } from '../../protocol/thrown.js';
import type { ServerEnv } from '../env.js';
import { Replayable } from '../replayable.js';
import { errorFrame, failureFrame, successFrame } from '../responses.js';
import type { StoreConnection } from '../store/store.js';
import type { RequestHandler } from '../types.js';

interface Lease {
  peerId: string;
  requestId: string;
  fence: number;
}

/** A replay of a request another node runs is claimed again this long after that node's lease ends. */
const RECLAIM_MARGIN_MS = 50;

/**
 * App requests on a cluster, run once per (peer id, request id) across every node. A node
 * runs a handler under a lease it renews while the handler runs; a replay reaching another
 * node meanwhile waits for the answer (the store tells the node holding the socket). If the
 * running node dies, its lease lapses and the next claim runs the handler again with
 * `ctx.replay` set; the dead node's answer, should it still come (a paused process), is
 * refused by its fence. That rerun is the honest limit for handlers with side effects.
 */
export class ClusterRequests {
  private readonly leases = new Map<string, Lease>();
  private readonly waits = new Map<string, TimerHandle>();
  private stopped = false;

  constructor(
    private readonly env: Pick<ServerEnv, 'now' | 'setTimeout' | 'clearTimeout'>,
    private readonly store: () => StoreConnection,
    private readonly nodeId: string,
    private readonly handlers: ReadonlyMap<string, RequestHandler>,
    /** Write to the peer's socket if it is on this node. */
    private readonly sendTo: (peerId: string, text: string) => void,
    private readonly onFailure: (peerId: string, method: string, error: unknown) => void,
    private readonly onStoreError: (error: unknown) => void,
  ) {}

  serve(peerId: string, auth: unknown, frame: RequestFrame): void {
    const handler = this.handlers.get(frame.method);
    if (handler === undefined) return this.sendTo(peerId, errorFrame(frame.id, 'NOT_FOUND', `no handler for method "${frame.method}"`));
    const key = `${peerId}\n${frame.id}`;
    const store = this.store();
    store.claim(peerId, frame.id, this.env.now()).then((claim) => {
      if (claim.kind === 'answer') return this.sendTo(peerId, claim.text);
      if (claim.kind === 'wait') return this.waitFor(key, claim.until, () => this.serve(peerId, auth, frame));
      this.run(store, handler, { peerId, requestId: frame.id, fence: claim.fence }, frame, auth, claim.rerun);
    }, this.onStoreError);
  }

  /** Renew the lease of every handler running here. */
  renew(now: number): void {
    for (const [key, lease] of this.leases) {
      this.store()
        .renew(lease.peerId, lease.requestId, lease.fence, now)
        .then((held) => {
          if (!held) this.leases.delete(key); // another node reran it; our answer will be refused
        }, this.onStoreError);
    }
  }

  stop(): void {
    this.stopped = true;
    this.waits.forEach((timer) => this.env.clearTimeout(timer));
    this.waits.clear();
  }

  /** Claim again once the other node's lease would have lapsed: it answered, or it died. */
  private waitFor(key: string, until: number, retry: () => void): void {
    if (this.stopped || this.waits.has(key)) return;
    const delay = Math.max(0, until - this.env.now()) + RECLAIM_MARGIN_MS;
    this.waits.set(
      key,
      this.env.setTimeout(() => {
        this.waits.delete(key);
        retry();
      }, delay),
    );
  }

  private run(store: StoreConnection, handler: RequestHandler, lease: Lease, frame: RequestFrame, auth: unknown, rerun: boolean): void {
    const key = `${lease.peerId}\n${lease.requestId}`;
    this.leases.set(key, lease);
    const { method, id } = frame;
    const answer = (text: string) => {
      this.leases.delete(key);
      store.finish(lease.peerId, id, lease.fence, text, this.env.now()).then((node) => {
        if (node === this.nodeId) this.sendTo(lease.peerId, text);
      }, this.onStoreError);
    };
    const fail = (error: unknown) => {
      if (codeOf(error) === undefined) this.onFailure(lease.peerId, method, error);
      answer(failureFrame(id, error));
    };
    try {
      const result = handler(frame.data, { peerId: lease.peerId, method, id, replay: frame.replay === true || rerun, auth });
      Promise.resolve(result).then((data) => answer(successFrame(id, data instanceof Replayable ? data.value : data)), fail);
    } catch (error) {
      fail(error);
    }
  }
}
