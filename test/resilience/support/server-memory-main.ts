// Run by server-memory.test.ts as `node --expose-gc --import tsx server-memory-main.ts`:
// a reference server and hostile raw clients in one process, and the heap (after gc())
// that the server still holds once the attackers are gone but their sessions wait for a
// resume. Clients keep nothing they receive, so what stays on the heap is the server's.
// Prints one JSON object (ServerMemoryReport) on stdout.
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { SignalingServer, type SignalingServerOptions } from '../../../src/server/index.js';

export interface Scenario {
  /** Heap growth after gc(), bytes, from before the attack to after it (attackers gone). */
  growth: number;
  /** What the attack sent, for the report. */
  what: string;
}
export type ServerMemoryReport = Record<'dedupe' | 'joinReplays' | 'outbox' | 'both' | 'room' | 'chunksHeld' | 'chunksClosed', Scenario>;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

async function heap(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    await sleep(20);
    gc!();
  }
  return process.memoryUsage().heapUsed;
}

/** A raw client that keeps only the count of responses and the last welcome. */
class Client {
  responses = 0;
  welcome: { peer: string; secret: string } | undefined;
  private waiters: Array<{ n: number; resolve: () => void }> = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = data.toString();
      if (text.startsWith('{"type":"welcome"')) this.welcome = JSON.parse(text) as { peer: string; secret: string };
      else if (text.startsWith('{"type":"response"')) this.responses++;
      this.waiters = this.waiters.filter((w) => (this.responses >= w.n ? (w.resolve(), false) : true));
      if (this.welcome && this.waiters.length > 0 && this.waiters[0]!.n === -1) this.waiters.shift()!.resolve();
    });
    ws.on('error', () => {});
  }
  static async open(url: string): Promise<Client> {
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const client = new Client(ws);
    await new Promise<void>((resolve) => {
      client.waiters.push({ n: -1, resolve });
      ws.send('{"type":"hello","version":1}');
    });
    return client;
  }
  request(id: string, method: string, data: unknown): void {
    this.ws.send(JSON.stringify({ type: 'request', id, method, data }));
  }
  /** Wait until `n` responses have arrived in all. */
  responsesReach(n: number): Promise<void> {
    if (this.responses >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
  /** Drop the socket without a close frame: the session waits for a resume (sessionTtl). */
  async drop(): Promise<void> {
    this.ws.terminate();
    await new Promise((resolve) => this.ws.once('close', resolve));
  }
}

async function withServer(options: SignalingServerOptions, run: (url: string, server: SignalingServer) => Promise<Scenario>): Promise<Scenario> {
  const server = new SignalingServer({ port: 0, host: '127.0.0.1', sessionTtl: 600_000, rateLimit: false, ...options });
  server.handle('big', () => 'x'.repeat(60_000));
  await server.listen();
  try {
    return await run(`ws://127.0.0.1:${server.port}`, server);
  } finally {
    await server.close();
  }
}

const META = 'm'.repeat(4_000);

const report: Partial<ServerMemoryReport> = {};

// 1. One session asks 500 requests with new ids, each answered with 60 kB, then leaves.
report.dedupe = await withServer({}, async (url) => {
  const attacker = await Client.open(url);
  const before = await heap();
  for (let i = 0; i < 500; i++) {
    attacker.request(`b${i}`, 'big', null);
    if (i % 50 === 49) await attacker.responsesReach(i + 1);
  }
  await attacker.responsesReach(500);
  await attacker.drop();
  return { growth: (await heap()) - before, what: '500 requests answered with 60 kB each, by one session' };
});

// 2. The attack: 20 members with 4 KiB meta, then 500 joins with new ids (tiny
// requests, ~80 kB answers each), and the attacker leaves.
report.joinReplays = await withServer({}, async (url) => {
  const members: Client[] = [];
  for (let i = 0; i < 20; i++) {
    const member = await Client.open(url);
    member.request('j', 'join', { room: 'r', meta: META });
    await member.responsesReach(1);
    members.push(member);
  }
  const attacker = await Client.open(url);
  const before = await heap();
  for (let i = 0; i < 500; i++) {
    attacker.request(`j${i}`, 'join', { room: 'r' });
    if (i % 50 === 49) await attacker.responsesReach(i + 1);
  }
  await attacker.responsesReach(500);
  await attacker.drop();
  const growth = (await heap()) - before;
  for (const member of members) await member.drop();
  return { growth, what: '500 join requests with new ids into a room of 20 members with 4 kB meta' };
});

// 3. A member away; another sends it 1,000 signals of 60 kB.
report.outbox = await withServer({}, async (url) => {
  const away = await Client.open(url);
  const sender = await Client.open(url);
  away.request('j', 'join', { room: 'r' });
  await away.responsesReach(1);
  sender.request('j', 'join', { room: 'r' });
  await sender.responsesReach(1);
  const to = away.welcome!.peer;
  await away.drop();
  const before = await heap();
  const data = 's'.repeat(60_000);
  for (let i = 0; i < 1000; i++) {
    sender.request(`s${i}`, 'signal', { room: 'r', to, data });
    if (i % 50 === 49) await sender.responsesReach(i + 2);
  }
  await sender.responsesReach(1001);
  await sender.drop();
  return { growth: (await heap()) - before, what: '1,000 signals of 60 kB to a member that is away' };
});

// 4. Both at once, on one session: it fills its answer cache, leaves, and is sent 1,000
// signals of 60 kB while away. The documented worst case of one session.
report.both = await withServer({}, async (url) => {
  const victim = await Client.open(url);
  const sender = await Client.open(url);
  victim.request('j', 'join', { room: 'r' });
  await victim.responsesReach(1);
  sender.request('j', 'join', { room: 'r' });
  await sender.responsesReach(1);
  const before = await heap();
  for (let i = 0; i < 500; i++) {
    victim.request(`b${i}`, 'big', null);
    if (i % 50 === 49) await victim.responsesReach(i + 2);
  }
  await victim.responsesReach(501);
  const to = victim.welcome!.peer;
  await victim.drop();
  const data = 's'.repeat(60_000);
  for (let i = 0; i < 1000; i++) {
    sender.request(`s${i}`, 'signal', { room: 'r', to, data });
    if (i % 50 === 49) await sender.responsesReach(i + 2);
  }
  await sender.responsesReach(1001);
  await sender.drop();
  return { growth: (await heap()) - before, what: 'one session: 500 answers of 60 kB, then 1,000 signals of 60 kB while away' };
});

// 4. 200 peers with 4 KiB meta try to join one room (default maxPeers), then all leave
// (sessions kept): what one full room costs.
report.room = await withServer({}, async (url) => {
  const before = await heap();
  const peers: Client[] = [];
  for (let i = 0; i < 200; i++) {
    const peer = await Client.open(url);
    peer.request('j', 'join', { room: 'r', meta: META });
    await peer.responsesReach(1);
    peers.push(peer);
  }
  for (const peer of peers) await peer.drop();
  return { growth: (await heap()) - before, what: '200 peers with 4 kB meta joining one room, default rooms.maxPeers' };
});

// 6. 20 sockets each hold a chunked message that never finishes, as much of it as the server
// lets one socket hold (17 chunks of 60 kB, under maxSignalBytes), and wait; then each sends
// one chunk more and is closed. The heap while they hold, and once they are gone.
report.chunksHeld = await withServer({}, async (url) => {
  const before = await heap();
  const text = 'c'.repeat(60_000);
  const attackers: Client[] = [];
  for (let i = 0; i < 20; i++) {
    const attacker = await Client.open(url);
    for (let part = 0; part < 17; part++) attacker.ws.send(JSON.stringify({ type: 'chunk', id: 0, part, parts: 1_000, text }));
    attacker.request('sync', 'nothing', null); // answered once the server has read every chunk before it
    await attacker.responsesReach(1);
    attackers.push(attacker);
  }
  const held = (await heap()) - before;
  for (const attacker of attackers) {
    const closed = new Promise((resolve) => attacker.ws.once('close', resolve));
    attacker.ws.send(JSON.stringify({ type: 'chunk', id: 0, part: 17, parts: 1_000, text }));
    await closed;
  }
  report.chunksClosed = { growth: (await heap()) - before, what: 'the same 20 sockets, closed by the server at their next chunk (sessions kept)' };
  return { growth: held, what: '20 sockets each holding an unfinished chunked message of 1.02 MB' };
});

process.stdout.write(JSON.stringify(report));
