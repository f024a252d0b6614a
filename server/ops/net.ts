import { BlockList, isIP } from 'node:net';

/** Mango's callback senders (mango-api.md §1.6). */
export const MANGO_SENDER_IPS = ['81.88.80.132', '81.88.80.133', '81.88.82.36', '81.88.82.44', '81.88.82.45'] as const;

/** `::ffff:1.2.3.4` (an IPv4 client on a dual-stack socket) → `1.2.3.4`; brackets and zone ids dropped. */
export function normalizeIp(ip: string): string {
  let s = ip.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(s);
  return m ? m[1] : s;
}

/**
 * An allow-list of source networks (IPv4 and IPv6, CIDR or single address) on node:net's
 * BlockList. Invalid entries throw at construction, so a typo fails the start, not the traffic.
 */
export class IpAllowList {
  private readonly list = new BlockList();
  readonly entries: readonly string[];

  constructor(entries: readonly string[]) {
    if (entries.length === 0) throw new Error('MANGO_ALLOWED_IPS is set but lists no address');
    for (const raw of entries) {
      const [addrPart, prefixPart, extra] = raw.trim().split('/');
      const addr = normalizeIp(addrPart ?? '');
      const family = isIP(addr);
      if (!family || extra !== undefined) throw new Error(`MANGO_ALLOWED_IPS: "${raw}" is not an IP address or CIDR`);
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (prefixPart === undefined) {
        this.list.addAddress(addr, type);
        continue;
      }
      const prefix = Number(prefixPart);
      const max = family === 4 ? 32 : 128;
      if (!/^\d{1,3}$/.test(prefixPart) || prefix > max) throw new Error(`MANGO_ALLOWED_IPS: "${raw}" has a bad prefix length`);
      this.list.addSubnet(addr, prefix, type);
    }
    this.entries = [...entries];
  }

  allows(ip: string | undefined | null): boolean {
    if (!ip) return false;
    const addr = normalizeIp(ip);
    const family = isIP(addr);
    if (!family) return false;
    return this.list.check(addr, family === 4 ? 'ipv4' : 'ipv6');
  }
}
