import { describe, expect, it } from 'vitest';
import { webSocketTransport } from '../../../src/transport/websocket.js';
import { fakeWebSocket } from '../../support/fake-socket.js';

function setup(options: { terminate?: boolean } = {}) {
  const ws = fakeWebSocket(options);
  const calls: Array<[string, ...unknown[]]> = [];
  const transport = webSocketTransport(ws.WebSocket)('ws://x.test', {
    onOpen: () => calls.push(['open']),
    onMessage: (data) => calls.push(['message', data]),
    onClose: (code, reason) => calls.push(['close', code, reason]),
  });
  return { socket: ws.last(), transport, calls };
}

const flush = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe('WebSocketTransport', () => {
  it('forwards open, text messages and close with code and reason', () => {
    const t = setup();
    t.socket.open();
    t.socket.receive('{"type":"pong","id":1}');
    t.socket.drop(1001, 'going away');
    expect(t.calls).toEqual([['open'], ['message', '{"type":"pong","id":1}'], ['close', 1001, 'going away']]);
  });

  it('an error event alone reports nothing; the close after it does, once', () => {
    const t = setup();
    t.socket.onerror?.({});
    expect(t.calls).toEqual([]);
    t.socket.drop(1006);
    t.socket.lateClose(1006);
    expect(t.calls).toEqual([['close', 1006, '']]);
  });

  it('sends text while open', () => {
    const t = setup();
    t.socket.open();
    t.transport.send('{"a":1}');
    expect(t.socket.sentText).toEqual(['{"a":1}']);
  });

  it('after close() it reports nothing more and sends nothing', async () => {
    const t = setup();
    t.socket.open();
    t.transport.close(1000, 'bye');
    expect(t.socket.closeCalls).toEqual([{ code: 1000, reason: 'bye' }]);
    t.transport.send('{"late":true}');
    t.socket.lateMessage('{"type":"pong","id":1}');
    t.socket.lateClose(1000, 'bye');
    await flush();
    expect(t.calls).toEqual([['open']]);
    expect(t.socket.sentText).toEqual([]);
    expect(t.socket.sentAfterClose).toBe(0);
  });

  it('terminate() uses the socket terminate() when there is one', async () => {
    const t = setup();
    t.socket.open();
    t.transport.terminate();
    await flush();
    expect(t.socket.terminated).toBe(true);
    expect(t.socket.closeCalls).toEqual([]);
    expect(t.calls).toEqual([['open']]);
  });

  it('terminate() falls back to close() with a code browsers accept', async () => {
    const t = setup({ terminate: false });
    t.transport.terminate();
    t.socket.lateOpen();
    await flush();
    expect(t.socket.closeCalls).toEqual([{ code: 4999, reason: 'stale link' }]);
    expect(t.calls).toEqual([]);
  });

  it('swallows a close() that throws (some runtimes throw while CONNECTING)', () => {
    const t = setup({ terminate: false });
    t.socket.close = () => {
      throw new Error('InvalidStateError');
    };
    expect(() => t.transport.close(1000, 'bye')).not.toThrow();
    expect(() => t.transport.terminate()).not.toThrow();
  });
});
