import { request } from 'node:http';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One HTTP/1.1 request with exactly the headers given — `Host` and `X-Forwarded-*` included,
 * which fetch will not let a test forge. Only for servers on this machine.
 */
export function rawRequest(url: string, options: { method?: string; headers?: Record<string, string>; body?: string; requestTarget?: string } = {}): Promise<RawResponse> {
  const target = new URL(url);
  if (target.hostname !== '127.0.0.1') throw new Error('raw requests go to 127.0.0.1 only');
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: target.port, path: options.requestTarget ?? `${target.pathname}${target.search}`, method: options.method ?? 'GET', headers: options.headers, setHost: !options.headers?.host }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error('raw request timed out')));
    req.on('error', reject);
    req.end(options.body);
  });
}
