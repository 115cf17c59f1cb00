// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

/// @title ChannelProxy
/// @notice The code of a channel: an EIP-1167 minimal proxy with three changes, and alice and bob appended.
///         1. A call with empty calldata (a plain ETH transfer: bob's deposit) stops at once without delegating,
///            so a plain deposit costs a bare transfer (21,000 gas).
///         2. A call of `depositAliceEth()` (IEthDepositProxy) is a tracked ETH deposit handled by the proxy's
///            own code, without the hop to the mastercopy (a cold DELEGATECALL: 2,600 gas) and without the
///            mastercopy's dispatch: it adds CALLVALUE to alice's ETH total in the ledger slot the mastercopy
///            uses (ChannelStorage.ETH_LEDGER_SLOT = slot 0, lowest 112 bits) and emits the mastercopy's AliceDeposited
///            event. It does so only when every check the mastercopy makes passes: non-zero value, the channel's
///            re-entry lock not held (transient slot 0, see ChannelCore), the balance within the deployment's
///            ETH capacity, alice's total within 112 bits. Otherwise it delegates the call unchanged, and the
///            mastercopy's `depositAliceEth` reverts with the named error (or, for a capacity above 2^112 - 1,
///            performs the deposit itself), so both paths have one behaviour.
///         3. The creation code stores CALLVALUE as alice's tracked ETH deposit, and writes the deployment's ETH
///            capacity (asked from the creating factory: `limitsOf(address(0))`, clipped to 2^112 - 1) into the
///            runtime's capacity check. The creation code is the same with or without value and whatever the
///            limits, so the address depends only on (mastercopy, alice, bob, salt).
/// @dev Runtime (201 bytes):
///        0x00 empty calldata: jump to STOP | 0x05 selector == depositAliceEth(): jump to FAST |
///        0x13 DELEGATE: the EIP-1167 body (mastercopy at 0x1e) | 0x41 STOP |
///        0x43 FAST: the tracked-deposit path (ETH capacity operand at 0x4d, 14 bytes); every failed check
///        jumps to DELEGATE, with no call made and nothing stored or logged yet |
///        0xa1 alice | 0xb5 bob. The arguments come last: bytes after them are never code, so no byte of an
///        address can turn a JUMPDEST into PUSH data.
///      Creation code: an 86-byte prefix (runs once) followed by the runtime. ChannelCore reads alice and bob
///      at ARGS_OFFSET with EXTCODECOPY.
library ChannelProxy {
    /// @dev Offset of alice in the runtime code (bob follows at +20).
    uint256 internal constant ARGS_OFFSET = 0xa1;
    /// @dev Length of the runtime code.
    uint256 internal constant RUNTIME_LENGTH = 0xc9;
    /// @dev Offset of the 14-byte ETH capacity operand (PUSH14) in the runtime code.
    uint256 internal constant CAPACITY_OFFSET = 0x4d;
    /// @dev Selector of `depositAliceEth()`, the call the proxy handles itself.
    bytes4 internal constant DEPOSIT_ETH_SELECTOR = 0xf7c2abed;
    /// @dev Topic of `AliceDeposited(address,uint256,uint256)` (IDepositUnit), emitted by the fast path.
    bytes32 internal constant ALICE_DEPOSITED_TOPIC =
        0xcf95b311f6cb197d5cb64d5fe9c228d0f417d19e1a915e71d86292bf092bcbcb;

    /// @notice The creation code of the channel of (alice, bob) delegating to `mastercopy`.
    function creationCode(address mastercopy, address alice, address bob) internal pure returns (bytes memory) {
        return
            abi.encodePacked(
                // ── creation prefix (0x56 bytes) ──
                // 0x00: if (callvalue) sstore(ETH_LEDGER_SLOT, callvalue) (the slot is 0: PUSH0)
                hex"341560085734_5f_555b",
                // 0x09: ok := staticcall(gas, caller, 0x1c, 0x24, 0x00, 0x20) of limitsOf(address(0)) on the
                //       factory; cap := ok * mload(0) (a failed query gives 0, so every fast deposit delegates)
                hex"639d3a9dc95f52_60205f6024601c335afa_5f5102",
                // 0x1d: if (cap >= 2^112 - 1) cap := 2^112 - 1 (the operand has 14 bytes; above it the fast path
                //       delegates and the mastercopy applies the full capacity)
                hex"806dffffffffffffffffffffffffffff11604157_506dffffffffffffffffffffffffffff5b",
                // 0x42: codecopy(0, 0x56, 0xc9); mstore(0x3b, cap) writes the operand at 0x4d and zeroes the 18
                //       bytes before it, which codecopy(0x3b, 0x91, 0x12) restores; return(0, 0xc9)
                hex"60c98060565f39_81603b52_60126091603b39_5ff3",
                // ── runtime ──
                // 0x00: if (calldatasize == 0) goto STOP
                hex"3615604157",
                // 0x05: if (calldataload(0) >> 224 == depositAliceEth.selector) goto FAST
                hex"5f3560e01c63",
                DEPOSIT_ETH_SELECTOR,
                hex"14604357",
                // 0x13: DELEGATE: EIP-1167 body (copy calldata, delegatecall, return or revert its return data)
                hex"5b363d3d373d3d3d363d73",
                mastercopy,
                hex"5af43d82803e903d91603f57fd5bf3",
                // 0x41: STOP
                hex"5b00",
                // 0x43: FAST: if (iszero(callvalue) | tload(0)) goto DELEGATE (no deposit of zero, lock held)
                hex"5b34155f5c17601357",
                // 0x4c: if (selfbalance > capacity) goto DELEGATE (operand written by the creation prefix)
                hex"6d0000000000000000000000000000_4711601357",
                // 0x60: next := sload(ETH_LEDGER_SLOT) + callvalue (the slot is 0: PUSH0, kept below for the store)
                hex"5f_80543401",
                // 0x65: total := low 112 bits of next; if (total < callvalue) goto DELEGATE (112-bit overflow)
                hex"8060901b60901c_348110601357",
                // 0x72: sstore(ETH_LEDGER_SLOT, next); mstore(0x20, total); mstore(0, callvalue)
                hex"9155_602052_345f52",
                // 0x7a: log2(0, 0x40, AliceDeposited, address(0)); stop
                hex"5f7f",
                ALICE_DEPOSITED_TOPIC,
                hex"60405fa200",
                // 0xa1: immutable arguments
                alice,
                bob
            );
    }
}
