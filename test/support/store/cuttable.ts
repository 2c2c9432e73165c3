// A store wrapper that can cut one node off, as a network partition or a stalled store
// would: while cut, every call from that node rejects and hints to it are lost. The node
// is told `health('down')` at the cut and `health('up')` when healed, as a real store
// client reports its connection.
import type { Store, StoreConnection, StoreHints, StoreLimits } from '../../../src/server/store/store.js';

export class CuttableStore implements Store {
  private readonly cut = new Set<string>();
  private readonly hints = new Map<string, StoreHints>();

  constructor(private readonly inner: Store) {}

  async connect(node: string, hints: StoreHints, limits: StoreLimits): Promise<StoreConnection> {
    this.hints.set(node, hints);
    const guarded: StoreHints = {
      notes: (...args) => this.cut.has(node) || hints.notes(...args),
      answer: (...args) => this.cut.has(node) || hints.answer(...args),
      revoked: (...args) => this.cut.has(node) || hints.revoked(...args),
      resync: () => this.cut.has(node) || hints.resync(),
      health: (state) => this.cut.has(node) || hints.health(state),
    };
    const conn = await this.inner.connect(node, guarded, limits);
    return new Proxy(conn, {
      get: (target, key, receiver) => {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => (this.cut.has(node) ? Promise.reject(new Error(`node ${node} is cut off from the store`)) : (value as (...a: unknown[]) => unknown).apply(target, args));
      },
    });
  }

  /** Cut `node` off: its calls reject from now on, and it is told the store is down. */
  sever(node: string): void {
    this.hints.get(node)?.health('down');
    this.cut.add(node);
  }

  heal(node: string): void {
    this.cut.delete(node);
    this.hints.get(node)?.health('up');
  }
}
