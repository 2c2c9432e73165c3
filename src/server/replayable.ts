/**
 * A handler result whose replays are answered afresh instead of from a cached copy: the
 * de-duplication cache keeps `replay` (a small closure) rather than the encoded answer.
 * For answers that are large and cheap to re-derive, like a `join`'s member list; the
 * handler's side effects still happen once.
 */
export class Replayable {
  constructor(
    readonly value: unknown,
    readonly replay: () => unknown,
  ) {}
}
