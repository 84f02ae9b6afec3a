import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Where a webhook may send (issue 21 item 5): not to the broker's own host,
 * its private network or the cloud metadata service (SSRF). Checked on the
 * URL at create and update, and again on every address the name resolves to
 * at each delivery (a name can be re-pointed after it was accepted; the
 * request connects to the address that was checked, so DNS rebinding between
 * check and connect does not work). Redirects are never followed: a 3xx is a
 * failed attempt.
 */
const refused = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  refused.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const) {
  refused.addSubnet(network, prefix, 'ipv6');
}

/** Whether an address is loopback, private, link-local or otherwise not a public host. IPv4-mapped and NAT64 IPv6 are judged by their IPv4. */
export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return refused.check(address, 'ipv4');
  if (family !== 6) return true;
  const embedded = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (embedded) return refused.check(embedded, 'ipv4');
  return refused.check(address, 'ipv6');
}

/** The host of a URL as an address or name (`[::1]` → `::1`). */
const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

function resolveAll(host: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => dnsLookup(host, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))));
}

/**
 * The problems of a webhook URL (empty when it is acceptable): http(s), no
 * user info; https unless private targets are allowed outside the production
 * profile (`allowHttp`); and, unless private targets are allowed,
 * no literal non-public address and no name that resolves to one. A name that
 * does not resolve now is accepted (it is checked again at each delivery).
 */
export async function webhookUrlProblems(text: string, allowPrivate: boolean, allowHttp = allowPrivate): Promise<string[]> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return ['must be an absolute http(s) URL'];
  }
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) return ['must be an https URL'];
  if (url.username || url.password) return ['must not carry user info'];
  if (allowPrivate) return [];
  const host = hostOf(url);
  if (isIP(host)) return isNonPublicAddress(host) ? [`${host} is a loopback, private or link-local address`] : [];
  const addresses = await resolveAll(host).catch(() => []);
  const blocked = addresses.filter((entry) => isNonPublicAddress(entry.address));
  return blocked.length > 0 ? [`${host} resolves to a loopback, private or link-local address (${blocked.map((entry) => entry.address).join(', ')})`] : [];
}

/** A refusal at delivery time: the target resolved to an address webhooks may not reach. */
export class RefusedTargetError extends Error {
  readonly code = 'refused_target';
}

/**
 * The `lookup` of an outgoing webhook request: resolves the name, refuses the
 * request when any address is not public (unless allowed), and connects to
 * the first checked address.
 */
export function checkedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const blocked = allowPrivate ? [] : addresses.filter((entry) => isNonPublicAddress(entry.address));
      if (blocked.length > 0 || addresses.length === 0) {
        return callback(new RefusedTargetError(`${hostname} resolves to a non-public address`), '', 0);
      }
      if (options.all) return callback(null, addresses);
      return callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/** Whether a literal-address URL host may be dialled (names go through {@link checkedLookup}). */
export function literalHostRefused(url: URL, allowPrivate: boolean): boolean {
  const host = hostOf(url);
  return !allowPrivate && isIP(host) !== 0 && isNonPublicAddress(host);
}
