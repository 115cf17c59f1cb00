// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IWithdrawHelper} from "../../interfaces/IWithdrawHelper.sol";

/// @title MockWithdrawHelper
/// @notice Test-only: a well-behaved withdraw helper that records the last call it received and emits it, so a
///         test can check what the channel passed after a withdrawal. It moves no funds.
contract MockWithdrawHelper is IWithdrawHelper {
    /// @notice How many times `execute` was called.
    uint256 public callCount;
    /// @notice The caller of the last `execute` (the channel).
    address public lastCaller;
    /// @notice The last asset passed.
    address public lastAsset;
    /// @notice The last recipient passed.
    address public lastRecipient;
    /// @notice The last amount passed.
    uint256 public lastAmount;
    /// @notice The last call data passed.
    bytes public lastCallData;

    /// @notice Emitted on every `execute`.
    /// @param caller The caller (the channel).
    /// @param asset The asset paid.
    /// @param recipient The recipient paid.
    /// @param amount The amount paid.
    /// @param callData The commitment's call data.
    event Executed(
        address indexed caller,
        address indexed asset,
        address indexed recipient,
        uint256 amount,
        bytes callData
    );

    /// @notice Accepts ETH (a withdrawal may name the helper as its recipient).
    receive() external payable {
        return;
    }

    /// @inheritdoc IWithdrawHelper
    function execute(address asset, address recipient, uint256 amount, bytes calldata callData) external override {
        ++callCount;
        lastCaller = msg.sender;
        lastAsset = asset;
        lastRecipient = recipient;
        lastAmount = amount;
        lastCallData = callData;
        emit Executed(msg.sender, asset, recipient, amount, callData);
    }
}
