/** resignal/server: the Node reference server of the resignal protocol (PROTOCOL.md). */
export { SignalingServer } from './server.js';
export { MemoryStore } from './store/memory-store.js';
export type { Claim, Delivery, Ended, Frame, Opened, OpenRequest, RoomRefusal, RoomRequest, RoomResult, Store, StoreConnection, StoreHints, StoreLimits, StoredNote } from './store/store.js';
export { peerLeftHead } from './store/store.js';
export type { Accepted, Authenticate, AuthenticateResult, RateLimit, SignalingServerOptions } from './options.js';
export type { Authorize, AuthorizeJoin } from './authorize.js';
export type { AllowOrigins } from './origins.js';
export type { ServerEnv } from './env.js';
export type { CompressionOptions } from './compression.js';
export { turnCredentials } from './ice.js';
export type { IceServersHook, IceServersContext, TurnCredentialsOptions } from './ice.js';
export type {
  ConnectionEvent,
  DisconnectEvent,
  ErrorEvent,
  HandlerContext,
  NotificationEvent,
  RequestHandler,
  RequestOptions,
  SessionEndEvent,
  SignalingServerEvents,
  WarningCode,
  WarningEvent,
} from './types.js';
export type { PeerLeftReason, RoomMember, RoomsOptions } from './room-directory.js';
export { BadRequestError, type MethodSchemas } from './contract.js';
export type { Contract, ContractShape, AnyContract } from '../contract.js';
