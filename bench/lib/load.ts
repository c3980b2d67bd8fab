import autocannon from 'autocannon';

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  requests: number;
  /** Server CPU (all its threads) per request during the load, when a meter was given (µs). */
  cpuMicrosPerRequest?: number;
}

export interface LoadOptions {
  url: string;
  connections: number;
  durationSeconds: number;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** For request chains (refresh rotation): builds each request from the connection's context. */
  requests?: autocannon.Request[];
  /** The server's CPU time so far (µs), read just before and after the load. */
  cpuMicros?: () => number;
}

/** One autocannon run against 127.0.0.1; errors count transport errors, timeouts and non-2xx answers. */
export async function load(options: LoadOptions): Promise<LoadResult> {
  const cpuBefore = options.cpuMicros?.();
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    method: options.method ?? 'GET',
    headers: options.headers,
    body: options.body,
    requests: options.requests,
    timeout: 10,
  });
  const cpuAfter = options.cpuMicros?.();
  return {
    ...(cpuBefore !== undefined && cpuAfter !== undefined && result.requests.total > 0 ? { cpuMicrosPerRequest: (cpuAfter - cpuBefore) / result.requests.total } : {}),
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    requests: result.requests.total,
  };
}
