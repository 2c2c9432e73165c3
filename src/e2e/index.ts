// resignal/e2e: end-to-end encrypted room signals. A separate entry, so apps that do not
// use it pay nothing for it in the core bundle.
export { encryptRoom, EncryptedRoom } from './encrypted-room.js';
export type { EncryptRoomOptions, EncryptedRoomEvents, UndecryptableEvent, UndecryptableReason } from './encrypted-room.js';
export { deriveRoomKey } from './cipher.js';
export type { Envelope, WebCryptoLike } from './cipher.js';
