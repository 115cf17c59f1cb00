// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

/// @title IHookReceiver
/// @notice Test-only: the callback HookToken makes on every balance movement (ERC777 / ERC-1363 style).
interface IHookReceiver {
    /// @notice Called by the token after it moved `amount` from `from` to `to`.
    /// @param from The sender (address(0) for a mint).
    /// @param to The recipient (address(0) for a burn).
    /// @param amount The amount moved.
    function onTokenTransfer(address from, address to, uint256 amount) external;
}
