export { Peer } from './peer.js';
export type { RequestOptions } from './options.js';
export type { RequestHandler, HandlerContext } from './answer.js';
export { SignalError, isSignalError } from './errors.js';
export type { SignalErrorCode, SignalErrorDetails } from './errors.js';
export type * from './events.js';
export type { PeerOptions, BackoffOptions, HeartbeatOptions, SendBufferOptions, TokenSource } from './options.js';
export type { AckOptions } from './acks.js';
export type { Env, WebSocketCtor, WebSocketLike, NetworkEvents, VisibilityEvents } from './env.js';
export type { Transport, TransportFactory, TransportHandlers } from './transport/transport.js';
export { CloseCode, isTerminalCloseCode } from './protocol/close-codes.js';
export { PROTOCOL_VERSION } from './protocol/version.js';
export { backoffDelay } from './backoff.js';
// negotiate() has its own entry, 'resignal/webrtc' (src/webrtc/index.ts).
export type { Contract, ContractShape, AnyContract, RequestMethod, RequestData, RequestResult, NotificationMethod, NotificationData } from './contract.js';
export { Room } from './room.js';
export type { RoomEvents, RoomMember, PeerJoinedEvent, PeerLeftEvent, PeerLeftReason, RoomSignalEvent, RoomBroadcastEvent, RejoinedEvent, RoomNotificationsLostEvent } from './room.js';
