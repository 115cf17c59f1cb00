// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title GasBurningToken
/// @notice Test-only: simulates a griefing token: while `burnGas` is set, every transfer (and mint) loops until
///         it has consumed all the gas it was given, so the call fails out of gas and returns to its caller
///         only the 1/64 of gas the EVM keeps back (EIP-150).
contract GasBurningToken is ERC20 {
    /// @notice When set, every balance movement burns all its gas.
    bool public burnGas;

    constructor() ERC20("Gas Burning Token", "GBT") {}

    /// @notice Mints `amount` to `to`; anyone may call it (test token).
    /// @param to The recipient.
    /// @param amount The amount minted.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Turns gas burning on or off; anyone may call it (test token).
    /// @param enabled True to burn gas on every transfer.
    function setBurnGas(bool enabled) external {
        burnGas = enabled;
    }

    /// @dev Burns all gas when `burnGas` is set.
    function _update(address from, address to, uint256 value) internal override {
        if (burnGas) {
            // GAS never returns 0 before the call runs out of gas, so this loop can only end out of gas, which
            // is exactly the behaviour simulated.
            uint256 spins;
            while (gasleft() != 0) ++spins;
        }
        super._update(from, to, value);
    }
}
