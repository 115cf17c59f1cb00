// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IWithdrawHelper} from "../../interfaces/IWithdrawHelper.sol";

/// @title ReentrantDepositHelper
/// @notice Test-only withdraw helper that, while the channel runs it (the channel's lock held), calls back into the
///         channel with value: a tracked ETH deposit attempted from inside a locked call. It records the outcome
///         and never reverts, so a test can assert that the attempt was made and refused.
contract ReentrantDepositHelper is IWithdrawHelper {
    /// @notice The calldata of the re-entering call.
    bytes public attackData;
    /// @notice The value sent with it.
    uint256 public attackValue;
    /// @notice How many attempts were made.
    uint256 public attempts;
    /// @notice Whether the last attempt succeeded.
    bool public lastSuccess;
    /// @notice Its return or revert data.
    bytes public lastReturnData;

    /// @notice Sets the call to attempt; anyone may call it (test contract).
    /// @param newAttackData The calldata sent back to the channel.
    /// @param newAttackValue The ETH sent with it (the helper must hold it: be the withdrawal's recipient).
    function arm(bytes calldata newAttackData, uint256 newAttackValue) external {
        attackData = newAttackData;
        attackValue = newAttackValue;
    }

    /// @notice Accepts the withdrawn ETH.
    receive() external payable {}

    /// @inheritdoc IWithdrawHelper
    function execute(address, address, uint256, bytes calldata) external override {
        ++attempts;
        // The whole point of this mock is an arbitrary call back into the caller; the outcome is recorded only.
        (bool success, bytes memory returnData) = msg.sender.call{value: attackValue}(attackData);
        lastSuccess = success;
        lastReturnData = returnData;
    }
}
