import type { Env } from './env.js';

export interface NetworkWatchHooks {
  online(): void;
  offline(): void;
  visible(): void;
}

/** Subscribes to the runtime's online/offline and page-visibility events while the Peer runs. */
export class NetworkWatch {
  readonly #onVisibility = () => {
    if (this.#env.visibility?.visibilityState === 'visible') this.#hooks.visible();
  };
  #running = false;
  readonly #env: Pick<Env, 'network' | 'visibility'>;
  readonly #hooks: NetworkWatchHooks;

  constructor(env: Pick<Env, 'network' | 'visibility'>, hooks: NetworkWatchHooks) {
    this.#env = env;
    this.#hooks = hooks;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#env.network?.addEventListener('online', this.#hooks.online);
    this.#env.network?.addEventListener('offline', this.#hooks.offline);
    this.#env.visibility?.addEventListener('visibilitychange', this.#onVisibility);
  }

  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    this.#env.network?.removeEventListener('online', this.#hooks.online);
    this.#env.network?.removeEventListener('offline', this.#hooks.offline);
    this.#env.visibility?.removeEventListener('visibilitychange', this.#onVisibility);
  }
}
