// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

/// @title IWithdrawHelper
/// @notice A contract a withdraw commitment may name to run right after its payment (withdraw-and-swap and
///         similar). The channel is locked against re-entry while the helper runs.
interface IWithdrawHelper {
    /// @notice Called by the channel after it paid `amount` of `asset` to `recipient`.
    /// @param asset The token address, or address(0) for native currency.
    /// @param recipient The withdraw commitment's recipient.
    /// @param amount The amount paid.
    /// @param callData The commitment's `callData`, signed by both parties.
    function execute(address asset, address recipient, uint256 amount, bytes calldata callData) external;
}
