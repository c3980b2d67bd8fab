import { isIPv6 } from 'node:net';

/**
 * The network a client address stands for in per-IP limits. IPv4: the address. IPv6: its /64,
 * since one subscriber usually gets a whole /64 (RFC 6177) and could otherwise take a fresh
 * address, and a fresh allowance, for every attempt. IPv4-mapped IPv6 is its IPv4 address.
 */
export function clientNetwork(ip: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = ip.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = ip.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((group) => group.replace(/^0+(?=.)/, '').toLowerCase()).join(':')}::/64`;
}
