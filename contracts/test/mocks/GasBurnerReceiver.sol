// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

/// @title GasBurnerReceiver
/// @notice Test-only: simulates a griefing recipient whose `receive` loops until it runs out of gas, to show a
///         payer bounds the gas it forwards and survives the failure.
contract GasBurnerReceiver {
    /// @notice Consumes all gas forwarded to it and therefore always fails.
    receive() external payable {
        _burnAllGas();
    }

    function _burnAllGas() private view {
        // GAS never returns 0 before the call runs out of gas, so this loop can only end out of gas, as simulated.
        uint256 spins;
        while (gasleft() != 0) ++spins;
    }
}
