// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {WithdrawCommitment} from "../types/ChannelTypes.sol";

/// @title IWithdrawUnit
/// @notice Cooperative withdrawals: a withdraw commitment co-signed by alice and bob pays its recipient once.
interface IWithdrawUnit {
    /// @notice A withdraw commitment ran.
    /// @param asset The token address, or address(0) for native currency.
    /// @param recipient Who the commitment pays.
    /// @param amount The amount of the commitment.
    /// @param nonce The commitment's withdraw nonce, now spent.
    event Withdrawn(address indexed asset, address indexed recipient, uint256 amount, uint256 nonce);

    /// @notice The commitment's withdraw nonce was already spent.
    error WithdrawAlreadyExecuted(uint256 nonce);
    /// @notice The helper call after the payment reverted.
    error WithdrawHelperFailed(address callTo);
    /// @notice A commitment of zero.
    error ZeroWithdraw();

    /// @notice Runs a co-signed withdraw commitment. Anyone may submit it.
    /// @dev Without a helper the payment is pushed with a bounded gas allowance and kept as the recipient's
    ///      exit if it fails; when that push fails and the token cannot answer balanceOf, the whole call reverts
    ///      with IChannelCore.BalanceQueryFailed and the commitment stays unspent (an unknown balance is never
    ///      read as zero). With a helper the payment must succeed, then the helper runs; the channel cannot be
    ///      re-entered meanwhile, and its views refuse (IChannelCore.ChannelLocked).
    /// @param commitment The commitment both parties signed.
    /// @param aliceSignature Alice's EIP-712 signature of the commitment.
    /// @param bobSignature Bob's EIP-712 signature of the commitment.
    function withdraw(
        WithdrawCommitment calldata commitment,
        bytes calldata aliceSignature,
        bytes calldata bobSignature
    ) external;

    /// @notice Whether withdraw nonce `nonce` has been spent.
    function isWithdrawExecuted(uint256 nonce) external view returns (bool);
}
