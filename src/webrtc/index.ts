// The `resignal/webrtc` entry: WebRTC negotiation over a resignal room. Kept out of the core
// entry so a page that only signals (or brings its own negotiation) does not load it; the
// script-tag add-on (dist/resignal.webrtc.umd.min.js) attaches these to the `Resignal` global.
export { negotiate, isPolite, parseRtcSignal } from './negotiate.js';
export type { Negotiation, NegotiateOptions, NegotiationTimers, NegotiationRoom, SignalingLink, SignalEventLike, RtcSignal } from './negotiate.js';
export { candidateFilters, candidateFields, isPrivateAddress } from './candidates.js';
export type { CandidateFilter, CandidateFields } from './candidates.js';
