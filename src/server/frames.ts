import * as z from 'zod/mini';
import {
  HelloFrame,
  NotificationFrame,
  PingFrame,
  RequestFrame,
  ResponseFrame,
} from '../protocol/frames.js';

/**
 * The same frames as `ClientFrame`, but dispatched on `type` instead of tried one by one:
 * a plain union builds (and throws away) an error for every option that does not match,
 * which made a `ping` about 15x slower to validate. `ResponseFrame` is a plain union, so
 * it is rebuilt as a union discriminated on `ok` to be nestable.
 */
export const ClientFrameByType = z.discriminatedUnion('type', [
  HelloFrame,
  RequestFrame,
  z.discriminatedUnion('ok', ResponseFrame.def.options),
  NotificationFrame,
  PingFrame,
]);
