// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IWithdrawHelper} from "../../interfaces/IWithdrawHelper.sol";

/// @title ReentrantWithdrawHelper
/// @notice Test-only: simulates a hostile withdraw helper: in `execute` it calls back into its caller (the
///         channel) with configurable calldata, records whether that succeeded and the return or revert data,
///         and never reverts itself, so a test can assert that the withdrawal completed and the re-entry failed.
contract ReentrantWithdrawHelper is IWithdrawHelper {
    /// @notice The calldata sent back to the caller of `execute`.
    bytes public attackData;
    /// @notice How many re-entry attempts were made.
    uint256 public attempts;
    /// @notice Whether the last re-entry attempt succeeded.
    bool public lastSuccess;
    /// @notice The return data (on success) or revert data (on failure) of the last attempt.
    bytes public lastReturnData;

    /// @notice Emitted after each re-entry attempt.
    /// @param target The contract re-entered.
    /// @param success Whether the call succeeded.
    /// @param returnData Its return or revert data.
    event ReentryAttempted(address indexed target, bool success, bytes returnData);

    /// @notice Sets the calldata of the re-entry; anyone may call it (test contract).
    /// @param newAttackData The calldata.
    function setAttackData(bytes calldata newAttackData) external {
        attackData = newAttackData;
    }

    /// @inheritdoc IWithdrawHelper
    function execute(address, address, uint256, bytes calldata) external override {
        ++attempts;
        // The whole point of this mock is an arbitrary call back into the caller; the outcome is recorded only.
        (bool success, bytes memory returnData) = msg.sender.call(attackData);
        lastSuccess = success;
        lastReturnData = returnData;
        emit ReentryAttempted(msg.sender, success, returnData);
    }
}
