// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

import {IHookReceiver} from "./IHookReceiver.sol";

/// @title HookToken
/// @notice Test-only: simulates ERC777 / ERC-1363 tokens that hand control to a third contract during a
///         transfer: after every balance movement (mint, transfer, burn) it calls `hook.onTokenTransfer`, which
///         can try to re-enter the caller of the token. A revert in the hook reverts the transfer.
contract HookToken is ERC20 {
    /// @notice The contract called on every transfer, or address(0) for none.
    IHookReceiver public hook;

    constructor() ERC20("Hook Token", "HKT") {}

    /// @notice Mints `amount` to `to`; anyone may call it (test token).
    /// @param to The recipient.
    /// @param amount The amount minted.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Sets the hook; anyone may call it (test token).
    /// @param newHook The hook contract, or address(0) to disable it.
    function setHook(IHookReceiver newHook) external {
        hook = newHook;
    }

    /// @dev Moves the balance first, then calls the hook (as ERC777 `tokensReceived` does).
    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        IHookReceiver currentHook = hook;
        if (address(currentHook) != address(0)) currentHook.onTokenTransfer(from, to, value);
    }
}
