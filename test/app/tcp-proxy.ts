/**
 * A loopback TCP proxy a test can use to cut the network between the app and the relay:
 * `sever()` drops every open connection, `refuse(true)` rejects new ones (relay "down"),
 * `blackhole(true)` keeps sockets open but silently drops bytes (a laptop lid closed).
 */
import net from 'node:net';

export interface TcpProxy {
  url: string;
  port: number;
  sever(): void;
  refuse(on: boolean): void;
  blackhole(on: boolean): void;
  connections(): number;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  let refusing = false;
  let holed = false;
  const server = net.createServer((client) => {
    if (refusing) return client.destroy();
    const upstream = net.connect(targetPort, targetHost);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (d) => !holed && upstream.write(d));
    upstream.on('data', (d) => !holed && client.write(d));
    client.on('close', drop);
    upstream.on('close', drop);
    client.on('error', drop);
    upstream.on('error', drop);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    sever: () => {
      for (const [a, b] of [...pairs]) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
    },
    refuse: (on) => {
      refusing = on;
    },
    blackhole: (on) => {
      holed = on;
    },
    connections: () => pairs.size,
    close: async () => {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
