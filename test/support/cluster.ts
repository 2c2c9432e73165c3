// Several SignalingServer nodes sharing one store, in this process, on loopback.
import { SignalingServer, type SignalingServerOptions } from '../../src/server/index.js';
import type { Store } from '../../src/server/store/store.js';

export const CLUSTER_KEY = 'cluster-test-secret-key-0123456789';

export interface Node {
  name: string;
  server: SignalingServer;
  url: string;
  port: number;
}

/** Start one node of the cluster (a node name is unique per running server). */
export async function startNode(store: Store, name: string, options: SignalingServerOptions = {}): Promise<Node> {
  const server = new SignalingServer({ host: '127.0.0.1', store, secretKey: CLUSTER_KEY, nodeId: name, nodeTimeout: 1_500, sessionTtl: 10_000, ...options });
  server.on('error', ({ error }) => console.error(`node ${name}:`, error));
  await server.listen();
  return { name, server, port: server.port, url: `ws://127.0.0.1:${server.port}` };
}

export async function startCluster(store: Store, names: string[], options: SignalingServerOptions = {}): Promise<Node[]> {
  const nodes: Node[] = [];
  for (const name of names) nodes.push(await startNode(store, name, options));
  return nodes;
}
