// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IResolver} from "../../interfaces/IResolver.sol";

/// @title RevertingResolver
/// @notice Test-only: simulates a broken or hostile resolver whose `resolve` always reverts (its `validate`
///         passes, so a transfer naming it can be created). It must not block the refund after the transfer's
///         timeout.
contract RevertingResolver is IResolver {
    /// @notice The revert of every `resolve` call.
    error ResolverRefused(bytes32 transferId);

    /// @inheritdoc IResolver
    function validate(bytes calldata, uint256) external pure override {
        return;
    }

    /// @inheritdoc IResolver
    function resolve(
        bytes32 transferId,
        bytes calldata,
        uint256,
        bytes calldata
    ) external pure override returns (uint256) {
        revert ResolverRefused(transferId);
    }
}
