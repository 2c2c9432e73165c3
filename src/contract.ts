// Typed method contracts: one type, shared by the app's client and server code, that names the
// requests the server answers and the notifications it accepts, with their payloads. Types only:
// nothing here exists at runtime, so a typed client costs no bytes.

/**
 * What a server offers its clients. Write one, pass it as the type argument of `Peer` and
 * `SignalingServer`, and method names and payloads are checked at both ends:
 *
 * ```ts
 * type Api = Contract<{
 *   requests: { move: { data: { x: number; y: number }; result: { ok: boolean } } };
 *   notifications: { typing: { room: string } };
 * }>;
 * const peer = new Peer<Api>(url);
 * const { ok } = await peer.request('move', { x: 1, y: 2 });
 * ```
 */
export interface ContractShape {
  /** Request methods the server answers: the `data` a client sends and the `result` it gets back. */
  requests: Record<string, { data: unknown; result: unknown }>;
  /** Notification methods a client may send the server, with their `data`. */
  notifications: Record<string, unknown>;
}

/** Fills in what a contract leaves out: no requests or no notifications. */
export type Contract<C extends Partial<ContractShape>> = {
  requests: C['requests'] extends object ? C['requests'] : {};
  notifications: C['notifications'] extends object ? C['notifications'] : {};
};

/** The contract of an untyped Peer or server: any method, any payload. */
export interface AnyContract extends ContractShape {
  requests: Record<string, { data: unknown; result: unknown }>;
  notifications: Record<string, unknown>;
}

/** True (the type) for `AnyContract` and other contracts that accept any method name. */
export type IsUntyped<C extends ContractShape> = string extends keyof C['requests'] ? true : false;

export type RequestMethod<C extends ContractShape> = keyof C['requests'] & string;
export type RequestData<C extends ContractShape, M extends RequestMethod<C>> = C['requests'][M]['data'];
export type RequestResult<C extends ContractShape, M extends RequestMethod<C>> = C['requests'][M]['result'];
export type NotificationMethod<C extends ContractShape> = keyof C['notifications'] & string;
export type NotificationData<C extends ContractShape, M extends NotificationMethod<C>> = C['notifications'][M];

/** `data` may be left out when the contract allows `undefined` for it. */
export type DataArgs<D, Rest extends unknown[] = []> = undefined extends D ? [data?: D, ...Rest] : [data: D, ...Rest];
