// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IResolver} from "../../interfaces/IResolver.sol";

/// @title OverpayingResolver
/// @notice Test-only: simulates a malicious resolver that claims the responder is owed more than was locked:
///         `resolve` returns `2 × amount` (saturating) or, when built with `returnMax_` true, `type(uint256).max`.
///         The channel must cap the payout at the locked amount.
contract OverpayingResolver is IResolver {
    /// @notice Whether `resolve` returns type(uint256).max rather than twice the amount.
    bool public immutable RETURN_MAX;

    constructor(bool returnMax_) {
        RETURN_MAX = returnMax_;
    }

    /// @inheritdoc IResolver
    function validate(bytes calldata, uint256) external pure override {
        return;
    }

    /// @inheritdoc IResolver
    function resolve(bytes32, bytes calldata, uint256 amount, bytes calldata) external view override returns (uint256) {
        if (RETURN_MAX || amount > type(uint256).max / 2) return type(uint256).max;
        return amount * 2;
    }
}
