// Room's rejoin bookkeeping against a scripted host: which answers the "server" gives, and
// when, is decided by the test. The happy paths run end to end in test/integration/rooms.test.ts;
// here are the failures that real sockets cannot produce on cue (a rejoin timing out, refused).
import { describe, expect, it } from 'vitest';
import { SignalError } from '../../src/errors.js';
import { Room, type RoomControl, type RoomHost } from '../../src/room.js';

interface Call {
  method: string;
  data: any;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

function setup() {
  const calls: Call[] = [];
  const forgotten: Room[] = [];
  const host: RoomHost = {
    request: (method, data) => new Promise((resolve, reject) => calls.push({ method, data, resolve, reject })),
    decodeJoin: (data) => (data as { peers: Array<{ id: string; meta: unknown }> }).peers,
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    reportError: (error) => {
      throw error;
    },
    forget: (room) => forgotten.push(room),
  };
  let control!: RoomControl;
  const room = new Room('r', { me: 1 }, host, (c) => (control = c));
  const take = (method: string): Call => {
    const index = calls.findIndex((call) => call.method === method);
    if (index < 0) throw new Error(`no pending "${method}" request; pending: ${calls.map((c) => c.method).join(', ')}`);
    return calls.splice(index, 1)[0]!;
  };
  const flush = () => new Promise((resolve) => setTimeout(resolve, 0));
  const joined = async (peers: Array<{ id: string; meta: unknown }>) => {
    const joining = control.join();
    take('join').resolve({ peers });
    await joining;
  };
  return { room, control, calls, take, flush, joined, forgotten };
}

const remote = (code: string) => new SignalError('REMOTE', `server answered "${code}"`, { remoteCode: code });

describe('Room rejoin', () => {
  it('sends held signals after the rejoin, in call order, ahead of anything sent by event listeners', async () => {
    const { room, control, take, calls, flush, joined } = setup();
    await joined([{ id: 'b', meta: null }]);
    const early = room.signal('b', 'early'); // on the old link, about to be refused by the new session
    const earlyCall = take('signal');
    control.rejoin();
    const late = room.signal('b', 'late'); // while rejoining: held
    earlyCall.reject(remote('not-joined'));
    await flush();
    expect(calls.map((c) => c.method)).toEqual(['join']); // nothing else went out yet
    room.on('rejoined', () => void room.signal('b', 'from listener'));
    take('join').resolve({ peers: [{ id: 'b', meta: null }] });
    await flush();
    expect(calls.map((c) => c.data.data)).toEqual(['early', 'late', 'from listener']);
    for (const call of calls.splice(0)) call.resolve(undefined);
    await expect(Promise.all([early, late])).resolves.toEqual([undefined, undefined]);
  });

  it('passes a not-joined answer through when no rejoin happened since the send', async () => {
    const { room, take, joined } = setup();
    await joined([]);
    const sent = room.broadcast('x');
    take('broadcast').reject(remote('not-joined'));
    await expect(sent).rejects.toMatchObject({ remoteCode: 'not-joined' });
  });

  it('on TIMEOUT emits error, fails the held sends, and tries again', async () => {
    const { room, control, take, flush, joined } = setup();
    await joined([{ id: 'b', meta: null }]);
    const errors: SignalError[] = [];
    room.on('error', (error) => errors.push(error));
    control.rejoin();
    const held = room.signal('b', 'held');
    take('join').reject(new SignalError('TIMEOUT', 'no answer'));
    await expect(held).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'TIMEOUT' });
    expect(errors[0]!.message).toContain('trying again');
    expect(room.joined).toBe(true);
    const rejoined = new Promise((resolve) => room.once('rejoined', resolve));
    const retry = take('join');
    expect(retry.data).toEqual({ room: 'r', meta: { me: 1 } });
    retry.resolve({ peers: [] });
    await rejoined;
    await flush();
    expect(room.peers.size).toBe(0);
  });

  it('on a refusal emits error with the server code and leaves the room', async () => {
    const { room, control, take, joined, forgotten } = setup();
    await joined([{ id: 'b', meta: null }]);
    const errors: SignalError[] = [];
    room.on('error', (error) => errors.push(error));
    control.rejoin();
    const held = room.signal('b', 'held');
    take('join').reject(remote('room-full'));
    await expect(held).rejects.toMatchObject({ remoteCode: 'room-full' });
    expect(errors[0]).toMatchObject({ code: 'REMOTE', remoteCode: 'room-full' });
    expect(room.joined).toBe(false);
    expect(forgotten).toEqual([room]);
    await expect(room.signal('b', 'after')).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('leave() during a rejoin fails the held sends and ignores the late join answer', async () => {
    const { room, control, take, joined } = setup();
    await joined([{ id: 'b', meta: null }]);
    const events: string[] = [];
    for (const event of ['peer-left', 'peer-joined', 'rejoined'] as const) room.on(event, () => events.push(event));
    control.rejoin();
    const held = room.signal('b', 'held');
    const leaving = room.leave();
    await expect(held).rejects.toMatchObject({ code: 'CLOSED' });
    take('join').resolve({ peers: [] });
    take('leave').resolve(undefined);
    await leaving;
    expect(events).toEqual([]);
  });
});
