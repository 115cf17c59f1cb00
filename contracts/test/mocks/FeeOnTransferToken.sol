// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title FeeOnTransferToken
/// @notice Test-only: simulates fee-on-transfer tokens (STA, PAXG style): every transfer between two accounts
///         burns a fee (1 % by default, rounded down) from the amount sent, so the recipient receives less than
///         `amount` while the sender is debited `amount`. Mints and burns carry no fee.
contract FeeOnTransferToken is ERC20 {
    /// @notice The basis-point denominator.
    uint256 public constant BPS = 10_000;
    /// @notice The current fee in basis points.
    uint256 public feeBps = 100;

    error FeeTooHigh(uint256 feeBps);

    constructor() ERC20("Fee On Transfer Token", "FOT") {}

    /// @notice Mints `amount` to `to`; anyone may call it (test token).
    /// @param to The recipient.
    /// @param amount The amount minted.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Sets the fee; anyone may call it (test token).
    /// @param newFeeBps The fee in basis points, at most 10,000.
    function setFeeBps(uint256 newFeeBps) external {
        if (newFeeBps > BPS) revert FeeTooHigh(newFeeBps);
        feeBps = newFeeBps;
    }

    /// @dev Splits a transfer into the fee (burned) and the rest (delivered).
    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0)) {
            super._update(from, to, value);
            return;
        }
        uint256 fee = (value * feeBps) / BPS;
        super._update(from, address(0), fee);
        super._update(from, to, value - fee);
    }
}
