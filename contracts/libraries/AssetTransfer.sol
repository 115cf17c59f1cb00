// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IChannelCore} from "../interfaces/IChannelCore.sol";

/// @title AssetTransfer
/// @notice Moves native currency (asset address(0)) and ERC20 tokens out of a channel, either bounded (a push that
///         may fail without reverting, so one bad receiver or token can only block itself) or strict (reverts).
library AssetTransfer {
    using SafeERC20 for IERC20;

    /// @notice Gas given to an ETH receiver on a pushed payout: enough for a smart-account's receive hook.
    uint256 internal constant ETH_PUSH_GAS = 50_000;
    /// @notice Gas given to a token's transfer on a pushed payout.
    uint256 internal constant TOKEN_PUSH_GAS = 120_000;
    /// @notice Gas reserved above an ETH push's allowance for the call itself (value, cold and new account).
    uint256 internal constant PUSH_CALL_OVERHEAD_ETH = 40_000;
    /// @notice Gas reserved above a token push's allowance for the call itself (cold account, memory).
    uint256 internal constant PUSH_CALL_OVERHEAD = 10_000;

    /// @notice The channel's balance of `asset`; reverts when a token cannot answer.
    function balanceOfSelf(address asset) internal view returns (uint256 amount) {
        bool ok;
        (ok, amount) = tryBalanceOfSelf(asset);
        if (!ok) revert IChannelCore.BalanceQueryFailed(asset);
    }

    /// @notice The channel's balance of `asset`, or (false, 0) when a token's balanceOf fails or is malformed.
    function tryBalanceOfSelf(address asset) internal view returns (bool ok, uint256 amount) {
        if (asset == address(0)) return (true, address(this).balance);
        return tryBalanceOf(asset, address(this));
    }

    /// @notice `holder`'s balance of token `asset`, or (false, 0) when balanceOf fails or is malformed.
    function tryBalanceOf(address asset, address holder) internal view returns (bool ok, uint256 amount) {
        // staticcall of balanceOf(holder) in scratch space, reading exactly one word back: a token cannot make us
        // copy a large return buffer, and a short or failed answer is reported rather than decoded. Only the
        // scratch words 0x00-0x3f are written, so the free memory pointer stays valid. The address is masked
        // to 160 bits: Solidity does not clean the high bits of a value it hands to inline assembly, and a token's
        // ABI decoder rejects an address argument with dirty high bits.
        assembly ("memory-safe") {
            mstore(0x00, 0x70a08231) // balanceOf(address)
            mstore(0x20, and(holder, 0xffffffffffffffffffffffffffffffffffffffff))
            ok := staticcall(gas(), asset, 0x1c, 0x24, 0x00, 0x20)
            ok := and(ok, gt(returndatasize(), 0x1f))
            amount := mload(0x00)
        }
        if (!ok) amount = 0;
    }

    /// @notice Pushes `amount` of `asset` to `to` with a bounded gas allowance.
    /// @dev Reverts only when the caller left too little gas for the allowance (so a relayer cannot starve the
    ///      push on purpose to turn a payment into an exit); otherwise returns whether the funds moved.
    /// @return sent True when the transfer succeeded.
    function tryPush(address asset, address to, uint256 amount) internal returns (bool sent) {
        uint256 allowance = asset == address(0) ? ETH_PUSH_GAS : TOKEN_PUSH_GAS;
        // The call's own costs are charged before the callee's share is computed (value transfer 9,000, cold
        // account 2,600, new account 25,000), and the callee then gets at most 63/64 of what is left: reserve
        // all of it, so that whatever gas limit a relayer picks, the receiver gets its full allowance or the
        // whole call reverts.
        uint256 required = (allowance * 64) / 63 + (asset == address(0) ? PUSH_CALL_OVERHEAD_ETH : PUSH_CALL_OVERHEAD);
        if (gasleft() < required) revert IChannelCore.InsufficientGas(gasleft(), required);
        if (asset == address(0)) {
            // Value call with a fixed gas allowance that copies no return data (no return-bomb); the channel is
            // guarded against re-entry by its transient lock while the receiver runs.
            assembly ("memory-safe") {
                sent := call(allowance, to, amount, 0x00, 0x00, 0x00, 0x00)
            }
        } else {
            // transfer(to, amount) with a fixed gas allowance, reading at most one word back. Success means the
            // call did not revert and either returned true or returned nothing from a contract (USDT style).
            assembly ("memory-safe") {
                let ptr := mload(0x40)
                mstore(ptr, 0xa9059cbb00000000000000000000000000000000000000000000000000000000)
                mstore(add(ptr, 0x04), and(to, 0xffffffffffffffffffffffffffffffffffffffff)) // clean, as above
                mstore(add(ptr, 0x24), amount)
                mstore(0x00, 0)
                let ok := call(allowance, asset, 0, ptr, 0x44, 0x00, 0x20)
                let size := returndatasize()
                switch size
                case 0 {
                    sent := and(ok, gt(extcodesize(asset), 0))
                }
                default {
                    sent := and(ok, and(gt(size, 0x1f), eq(mload(0x00), 1)))
                }
            }
        }
    }

    /// @notice Sends `amount` of `asset` to `to` with all remaining gas, reverting on any failure.
    function strictSend(address asset, address to, uint256 amount) internal {
        if (asset == address(0)) {
            bool ok;
            // Plain value call; the caller holds the channel's re-entry lock, and no return data is copied.
            assembly ("memory-safe") {
                ok := call(gas(), to, amount, 0x00, 0x00, 0x00, 0x00)
            }
            if (!ok) revert IChannelCore.TransferFailed(asset, to, amount);
        } else {
            if (!IERC20(asset).trySafeTransfer(to, amount)) revert IChannelCore.TransferFailed(asset, to, amount);
        }
    }
}
