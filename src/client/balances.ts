/** A channel's balances from the client's side (bob): free balances and what active transfers lock each way. */
import type { Channel } from "../channel/channel.js";
import { checksum } from "../protocol/address.js";
import type { AssetBalance, Balances } from "./types.js";

export function balancesOf(channel: Channel): Balances {
  const out: Balances = {};
  const me = channel.channelSetup.bob;
  for (const a of channel.state.assets) {
    out[a.asset] = { asset: a.asset, mine: a.balanceBob, node: a.balanceAlice, lockedByMe: 0n, lockedToMe: 0n };
  }
  for (const { transfer: t } of channel.transfers.list()) {
    const asset = checksum(t.asset);
    const entry = (out[asset] ??= { asset, mine: 0n, node: 0n, lockedByMe: 0n, lockedToMe: 0n });
    if (checksum(t.initiator) === me) entry.lockedByMe += t.amount;
    else entry.lockedToMe += t.amount;
  }
  return out;
}

export function balanceOf(channel: Channel, asset: string): AssetBalance {
  const a = checksum(asset);
  return balancesOf(channel)[a] ?? { asset: a, mine: 0n, node: 0n, lockedByMe: 0n, lockedToMe: 0n };
}
