// Where the Redis store keeps what. Every key and channel starts with the store's prefix (P):
//
//   P epoch            string  this data's id: a Redis that comes back empty lacks it (the scope)
//   P fence            string  counter for attach and lease fences
//   P joins            string  counter giving room members their join order
//   P sessions         set     every session's peer id
//   P detached         zset    detached sessions by the time they end
//   P nodes            zset    nodes by their last beat
//   P ns:<node>        set     sessions a node holds
//   P reaped:<node>    string  set when a sweep took the node for dead; its next beat reports it
//   P revoked          zset    revoked peer ids by the end of their revocation
//   P s:<peer>         hash    session: node ('' while detached), fence, seq, bytes, expires
//   P q:<peer>         zset    pending notification seqs
//   P qb:<peer>        zset    pending room broadcasts (evicted first)
//   P n:<peer>         hash    seq -> notification head, r<seq> -> its room, l<seq> -> its lane
//   P ln:<peer>        hash    per lane (broadcast or not, by sender): c<lane> count, b<lane> bytes
//   P lx:<peer>        zset    '<lane>\n<seq>' by lex order: each lane's oldest first
//   P l:<peer>         zset    dropped notifications (seq:room) for welcome.lost
//   P lf:<peer>        hash    older drops folded into counts
//   P m:<peer>         set     rooms the peer is in
//   P d:<peer>         hash    request ledger: i<id> -> entry, b bytes, n age counter
//   P do:<peer>        zset    ledger ids by age
//   P r:<room>         hash    member peer id -> member JSON
//   P ro:<room>        zset    member peer ids by join order
//   P node:<node>      channel hints for the sessions a node holds
//
// A detached session's keys expire a minute after it should end (a sweep normally ends it
// first); its ledger a dedupe window later. Room keys vanish with their last member.

/** Keys that exist only while a session does (for tests and tooling). */
export function sessionKeys(prefix: string, peerId: string): string[] {
  return ['s', 'q', 'qb', 'n', 'ln', 'lx', 'l', 'lf', 'm'].map((kind) => `${prefix}${kind}:${peerId}`);
}

/** The ledger keys of a peer id, which outlive its session by the dedupe window. */
export function ledgerKeys(prefix: string, peerId: string): string[] {
  return ['d', 'do'].map((kind) => `${prefix}${kind}:${peerId}`);
}

/** The channel carrying hints to `node`. */
export function nodeChannel(prefix: string, node: string): string {
  return `${prefix}node:${node}`;
}
