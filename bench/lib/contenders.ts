import type { LibName } from './child.js';
import { protoo } from '../clients/protoo.js';
import { resignal } from '../clients/resignal.js';
import { socketIo } from '../clients/socketio.js';
import type { Contender } from '../clients/types.js';
import { rawWs } from '../clients/ws.js';

/** The four libraries under test, raw ws first (the baseline every ratio divides by). */
export const CONTENDERS: Array<{ lib: LibName; client: Contender }> = [
  { lib: 'ws', client: rawWs },
  { lib: 'resignal', client: resignal },
  { lib: 'socket.io', client: socketIo() },
  { lib: 'protoo', client: protoo },
];
