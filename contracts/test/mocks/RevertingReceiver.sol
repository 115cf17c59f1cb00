// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

/// @title RevertingReceiver
/// @notice Test-only: simulates a recipient that refuses native currency (a contract without a payable
///         fallback, or a hostile one): its `receive` always reverts.
contract RevertingReceiver {
    /// @notice Every incoming ETH transfer is refused.
    error EthRefused(address sender, uint256 value);

    /// @notice Reverts with `EthRefused`.
    receive() external payable {
        revert EthRefused(msg.sender, msg.value);
    }
}
