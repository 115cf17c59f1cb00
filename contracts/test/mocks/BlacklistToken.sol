// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title BlacklistToken
/// @notice Test-only: simulates USDC/USDT-style blacklisting: any transfer (or mint) to or from a blacklisted
///         address reverts. Ownerless: anyone may blacklist anyone (mock).
contract BlacklistToken is ERC20 {
    /// @notice Whether an address is blacklisted.
    mapping(address account => bool) public blacklisted;

    /// @notice A transfer touched a blacklisted address.
    /// @param account The blacklisted address.
    error Blacklisted(address account);

    constructor() ERC20("Blacklist Token", "BLT") {}

    /// @notice Mints `amount` to `to`; anyone may call it (test token).
    /// @param to The recipient.
    /// @param amount The amount minted.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Blacklists or clears `account`; anyone may call it (test token).
    /// @param account The address.
    /// @param isBlacklisted The new status.
    function setBlacklisted(address account, bool isBlacklisted) external {
        blacklisted[account] = isBlacklisted;
    }

    /// @dev Reverts when either side is blacklisted.
    function _update(address from, address to, uint256 value) internal override {
        if (blacklisted[from]) revert Blacklisted(from);
        if (blacklisted[to]) revert Blacklisted(to);
        super._update(from, to, value);
    }
}
