import { Agent, request } from 'node:http';

/**
 * The part of fetch the flow driver uses (string bodies, redirects never followed), over
 * node:http with keep-alive. The load generator shares the two cores with the server it
 * measures; this costs it ~1.3 ms less CPU per sign-in flow than fetch (3.3–3.6 → 1.9–2.3 ms,
 * measured), which is CPU the server gets instead. The server sees the same requests.
 */
const agent = new Agent({ keepAlive: true, maxSockets: 128 });

export function httpFetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
  const url = new URL(input);
  if (url.protocol !== 'http:' || url.hostname !== '127.0.0.1') return Promise.reject(new Error(`the benchmark only talks to http://127.0.0.1, not ${url.origin}`));
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((value, name) => {
    headers[name] = value;
  });
  const body = init.body === undefined || init.body === null ? undefined : String(init.body);
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const outgoing = request({ agent, host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: init.method ?? 'GET', headers, timeout: 30_000 }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('error', reject);
      incoming.on('end', () => {
        const received = new Headers();
        for (let i = 0; i < incoming.rawHeaders.length; i += 2) received.append(incoming.rawHeaders[i]!, incoming.rawHeaders[i + 1]!);
        const status = incoming.statusCode ?? 0;
        resolve(new Response(status === 204 || status === 304 ? null : Buffer.concat(chunks), { status, headers: received }));
      });
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer from ${url.origin} within 30 s`)));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
