import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { backendsForTests } from '../helpers/backends.ts';
import { startTestKeyward } from '../helpers/test-server.ts';

/** Opens a request whose body is still to come, and resolves once the server has received its head. */
async function startSlowRequest(port: number, server: import('node:http').Server): Promise<{ socket: Socket; response: Promise<string> }> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (chunk) => (received += String(chunk)));
  const response = once(socket, 'close').then(() => received);
  const requestArrived = once(server, 'request');
  socket.write('POST /interaction/abc/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10\r\n\r\n');
  await requestArrived;
  return { socket, response };
}

describe.each(backendsForTests())('graceful shutdown on %s', (_name, backend) => {
  beforeAll(() => backend.start());
  afterAll(() => backend.stop());

  it('stops accepting, lets an in-flight request finish, then closes the store', async () => {
    const keyward = await startTestKeyward({ env: await backend.freshDatabase() });
    const { socket, response } = await startSlowRequest(keyward.port, keyward.running.server);

    const stopped = keyward.stop();
    await expect(fetch(`${keyward.issuer}/healthz`)).rejects.toThrow();

    socket.write('email=abcd');
    const raw = await response;
    expect(raw).toMatch(/^HTTP\/1\.1 403 /);
    await stopped;
    await expect(keyward.running.container.stores.ping()).rejects.toThrow();
  });

  it('closes a request that does not finish within the bound', async () => {
    const keyward = await startTestKeyward({ env: { ...(await backend.freshDatabase()), SHUTDOWN_TIMEOUT_MS: '200' } });
    const { response } = await startSlowRequest(keyward.port, keyward.running.server);
    const started = Date.now();
    await keyward.stop();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await response).toBe('');
    const warned = keyward.logs.lines().some((line) => line.msg === 'in-flight requests did not finish in time; closing their connections');
    expect(warned).toBe(true);
  });
});
