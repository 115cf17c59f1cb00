// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {ChannelStorage} from "./ChannelStorage.sol";

/// @title ChannelProxy
/// @notice The code of a channel: an EIP-1167 minimal proxy with two changes, and alice and bob appended.
///         1. A call with empty calldata (a plain ETH transfer: bob's deposit) stops at once without delegating,
///            so a plain deposit costs a bare transfer (21,000 gas).
///         2. The creation code stores CALLVALUE as alice's tracked ETH deposit (the lowest 112 bits of the ETH
///            ledger slot, see ChannelStorage), so creating a channel and depositing ETH needs no second call. The
///            creation code is the same with or without value, so the address does not depend on the deposit.
/// @dev Runtime (92 bytes): 0x36 0x15 0x6032 0x57 | 1167 body with the jump to 0x30 | 0x5b00 | alice | bob.
///      alice sits at runtime offset 0x34 and bob at 0x48; ChannelCore reads them with EXTCODECOPY.
library ChannelProxy {
    /// @dev Offset of alice in the runtime code.
    uint256 internal constant ARGS_OFFSET = 0x34;

    /// @notice The creation code of the channel of (alice, bob) delegating to `mastercopy`.
    function creationCode(address mastercopy, address alice, address bob) internal pure returns (bytes memory) {
        return
            abi.encodePacked(
                // if (callvalue) sstore(ETH_LEDGER_SLOT, callvalue)
                hex"3415602857347f",
                ChannelStorage.ETH_LEDGER_SLOT,
                hex"555b",
                // codecopy(0, 0x32, 0x5c); return(0, 0x5c)
                hex"605c8060323d393df3",
                // runtime: if (calldatasize == 0) stop; else EIP-1167 delegatecall to mastercopy
                hex"3615603257363d3d373d3d3d363d73",
                mastercopy,
                hex"5af43d82803e903d91603057fd5bf35b00",
                alice,
                bob
            );
    }
}
