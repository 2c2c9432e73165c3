import type { DedupeCache } from './dedupe.js';
import type { NormalizedOptions } from './options.js';
import { Revocations } from './revocations.js';
import { Secrets } from './secrets.js';
import { Tombstones } from './tombstones.js';

/** Revocations kept at most (~100 B each): kicks beyond it forget the oldest. */
export const MAX_REVOCATIONS = 10_000;

/** The id a new session gets, and what it inherits. */
export interface Claim {
  id: string;
  secret: string;
  /** The de-duplication cache of the ended session that had this id, if kept. */
  dedupe: DedupeCache | undefined;
}

/**
 * Who may hold which peer id. Secrets are derived from ids (Secrets), so a `hello` that
 * resumes an id no session holds (after a restart, a failover, or `sessionTtl`) keeps that
 * id only if it proves it owns it and the id was not revoked by `kick()`; anyone else gets
 * a fresh id. Ended sessions leave their de-duplication cache here (Tombstones) for their
 * id's next session.
 */
export class Trust {
  private readonly secrets: Secrets;
  private readonly revocations: Revocations;
  private readonly tombstones: Tombstones;

  constructor(
    options: Pick<NormalizedOptions, 'secretKey' | 'revocationTtl' | 'dedupeWindow' | 'endedDedupeMaxBytes'>,
    /** Ids for new sessions (the server env's `id`). */
    private readonly newId: () => string,
  ) {
    this.secrets = new Secrets(options.secretKey);
    this.revocations = new Revocations(options.revocationTtl, MAX_REVOCATIONS);
    this.tombstones = new Tombstones(options.dedupeWindow, options.endedDedupeMaxBytes);
  }

  /** Whether `secret` proves ownership of the live session `peerId` may resume (not revoked). */
  owns(peerId: string, secret: string, now: number): boolean {
    return !this.revocations.revoked(peerId, now) && this.secrets.verify(peerId, secret);
  }

  /**
   * The id for a new session. `resume` is what the hello asked for; `held` says whether a
   * live session holds that id (then it is never given away).
   */
  claim(resume: { peer: string; secret: string } | undefined, held: boolean, now: number): Claim {
    if (resume !== undefined && !held && this.owns(resume.peer, resume.secret, now)) {
      return { id: resume.peer, secret: resume.secret, dedupe: this.tombstones.take(resume.peer, now) };
    }
    const id = this.newId();
    return { id, secret: this.secrets.of(id), dedupe: undefined };
  }

  /** A session ended: keep its cache for `dedupeWindow`, for the id's next session. */
  ended(peerId: string, dedupe: DedupeCache, now: number): void {
    if (this.revocations.revoked(peerId, now)) return;
    this.tombstones.bury(peerId, dedupe, now);
  }

  /** `kick()`: the id's secret no longer resumes it, and its cache goes. */
  revoke(peerId: string, now: number): void {
    this.revocations.revoke(peerId, now);
    this.tombstones.drop(peerId);
  }
}
