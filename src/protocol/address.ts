/**
 * Checksummed addresses, memoized: ethers' getAddress hashes the address (keccak) on every call, and the SDK
 * checks the same few addresses (the parties, the channel, assets, resolvers) on every update.
 */
import { getAddress } from "ethers";

const cache = new Map<string, string>();
const MAX_CACHED = 65_536;

/** getAddress(value), cached: checks the format (and a mixed-case value's checksum) and returns the checksum form. */
export function checksum(value: string): string {
  let known = cache.get(value);
  if (known === undefined) {
    known = getAddress(value);
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(value, known);
  }
  return known;
}
