// A tiny TCP switch in front of two nodes, the way a load balancer with health checks would
// behave: each new connection goes to the first target that accepts it. While node A is up
// every client lands on A; once A is dead (connection refused) new connections go to B. A
// target's close or reset is passed on to the client at once. Used for both libraries, so
// both see the same network.
import net from 'node:net';

export class TcpSwitch {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly targets: number[]) {
    this.server = net.createServer((client) => this.accept(client));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  private accept(client: net.Socket, index = 0): void {
    if (index === 0) {
      this.sockets.add(client);
      client.pause();
      client.on('error', () => {});
      client.once('close', () => this.sockets.delete(client));
    }
    const port = this.targets[index];
    if (port === undefined || client.destroyed) return void client.destroy();
    const upstream = net.connect(port, '127.0.0.1');
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      this.sockets.add(upstream);
      upstream.once('close', () => this.sockets.delete(upstream));
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.on('error', () => {
      if (!connected) return this.accept(client, index + 1);
      client.destroy();
    });
    upstream.once('close', () => connected && client.destroy());
    client.once('close', () => upstream.destroy());
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
