/** Wire protocol version sent in `hello` and `welcome`. See PROTOCOL.md. */
export const PROTOCOL_VERSION = 1;
