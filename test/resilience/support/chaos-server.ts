// The reference server in a child process for the chaos run, SIGKILL-able like a real crash.
// It reports what it does as one JSON object per line on stdout, written synchronously
// (stdout is a pipe), so every line written before a SIGKILL still reaches the test:
//   {"t":"listening","port":N}
//   {"t":"session","session":S,"resumed":bool}     a socket was welcomed; resumed false means a
//                                                   new session, which may reuse the id S
//   {"t":"run","key":K,"session":S,"replay":bool}   a `work`, `push` or `ask` handler started
//   {"t":"note","key":K,"session":S}                a client notification arrived
//   {"t":"push","key":K,"session":S}                a notification was queued for a client
//   {"t":"mark","n":N}                              answer to "mark N" on stdin: every line
//                                                   written before it has been written
import { createInterface } from 'node:readline';
import { SignalingServer } from '../../../src/server/index.js';
import { isSignalError } from '../../../src/errors.js';
import { workResult, type AskData, type AskResult, type Pushed, type PushData, type WorkData, type WhoAmI } from './handlers.js';

/** e.g. "A#2": which server, which start. Sent with every server notification. */
const incarnation = process.env.INCARNATION ?? 'server';
const log = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const server = new SignalingServer({
    port: Number(process.env.PORT ?? 0),
    host: '127.0.0.1',
    path: '/rtc',
    // Longer than the whole run: a session never expires mid-run, so a replay reaching this
    // process again always finds its session and must not run the handler twice.
    sessionTtl: 120_000,
    // Both servers and every restart share one key, as a cluster does: a peer keeps its id
    // (and, back on a server, its de-duplication cache) across failovers and restarts.
    secretKey: 'chaos-cluster-key-chaos-cluster-key',
  });
  server.handle('work', async (data, ctx) => {
    const work = data as WorkData;
    log({ t: 'run', key: work.key, session: ctx.peerId, replay: ctx.replay });
    if (work.ms > 0) await sleep(work.ms);
    if (work.fail) throw Object.assign(new Error(`${work.key} fails on purpose`), { code: 'UNLUCKY' });
    return workResult(work);
  });
  server.handle('push', (data, ctx) => {
    const push = data as PushData;
    log({ t: 'run', key: push.key, session: ctx.peerId, replay: ctx.replay });
    setTimeout(() => {
      for (let i = 0; i < push.count; i++) {
        const key = `${push.key}/${i}`;
        if (server.notify(ctx.peerId, 'pushed', { key, from: incarnation } satisfies Pushed)) log({ t: 'push', key, session: ctx.peerId });
      }
    }, push.ms);
    return { key: push.key };
  });
  server.handle('ask', async (data, ctx): Promise<AskResult> => {
    const { key, ms } = data as AskData;
    log({ t: 'run', key, session: ctx.peerId, replay: ctx.replay });
    if (ms > 0) await sleep(ms);
    try {
      return { key, ok: true, answer: await server.request(ctx.peerId, 'echo-back', { key }, { timeout: 3_000 }) };
    } catch (error) {
      return { key, ok: false, code: isSignalError(error) ? error.code : `not a SignalError: ${String(error)}` };
    }
  });
  server.handle('whoami', (_data, ctx): WhoAmI => ({ server: incarnation, peerId: ctx.peerId }));
  server.on('connection', ({ peerId, resumed }) => log({ t: 'session', session: peerId, resumed }));
  server.on('notification', ({ peerId, method, data }) => {
    if (method === 'note') log({ t: 'note', key: (data as { key: string }).key, session: peerId });
  });
  server.on('error', ({ error }) => log({ t: 'error', message: String(error) }));
  await server.listen();
  log({ t: 'listening', port: server.port });

  const input = createInterface({ input: process.stdin });
  input.on('line', (line) => {
    const mark = /^mark (\d+)$/.exec(line);
    if (mark) log({ t: 'mark', n: Number(mark[1]) });
  });
  // The test runner went away: don't linger as an orphan.
  input.on('close', () => process.exit(0));
}

await main();
