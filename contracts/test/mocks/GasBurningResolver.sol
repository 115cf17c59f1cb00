// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IResolver} from "../../interfaces/IResolver.sol";

/// @title GasBurningResolver
/// @notice Test-only: simulates a griefing resolver whose `resolve` loops until it has burnt all the gas it was
///         given. The channel must cap the gas it forwards, survive the failure, and still refund after timeout.
contract GasBurningResolver is IResolver {
    /// @inheritdoc IResolver
    function validate(bytes calldata, uint256) external pure override {
        return;
    }

    /// @inheritdoc IResolver
    function resolve(bytes32, bytes calldata, uint256, bytes calldata) external view override returns (uint256) {
        // GAS never returns 0 before the call runs out of gas, so this loop can only end out of gas, as simulated.
        uint256 spins;
        while (gasleft() != 0) ++spins;
        return spins;
    }
}
