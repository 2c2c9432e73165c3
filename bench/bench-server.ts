// A benchmark server in its own process (one core for the server, one for the client, and
// a SIGKILL is a real crash). It loads everything first, prints "ready", then waits for a
// "listen <port>" line on stdin before binding, so a restart can be made to happen at a
// chosen moment without paying tsx's start-up time. Prints "listening <port>" when bound.
// Exits when its parent goes away (stdin closes).
import { createInterface } from 'node:readline';

const LIBS = {
  ws: () => import('./servers/ws.js'),
  resignal: () => import('./servers/resignal.js'),
  'socket.io': () => import('./servers/socketio.js'),
  protoo: () => import('./servers/protoo.js'),
} as const;

const lib = process.env.LIB as keyof typeof LIBS;
if (!(lib in LIBS)) throw new Error(`LIB must be one of ${Object.keys(LIBS).join(', ')}, got ${lib}`);
const { start } = await LIBS[lib]();
process.stdout.write('ready\n');

let started = false;
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const match = /^listen (\d+)$/.exec(line.trim());
  if (!match || started) return;
  started = true;
  start(Number(match[1])).then(
    (port) => process.stdout.write(`listening ${port}\n`),
    (error: unknown) => {
      process.stderr.write(`${lib} server failed to listen: ${String(error)}\n`);
      process.exit(1);
    },
  );
});
lines.on('close', () => process.exit(0));
