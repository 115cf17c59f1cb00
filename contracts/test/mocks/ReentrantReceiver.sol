// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IHookReceiver} from "./IHookReceiver.sol";

/// @title ReentrantReceiver
/// @notice Test-only: simulates a re-entrancy attacker. When it receives ETH (`receive`) or a HookToken
///         callback (`onTokenTransfer`) while armed, it calls `attackTarget` with `attackData` once, records whether
///         that call succeeded and its return or revert data, and never reverts itself, so a test can assert
///         that the re-entry attempt was made and failed while the outer payment went through.
contract ReentrantReceiver is IHookReceiver {
    /// @notice The contract re-entered.
    address public attackTarget;
    /// @notice The calldata of the re-entering call.
    bytes public attackData;
    /// @notice Whether the next callback will attack (disarmed after one attempt, to avoid recursion).
    bool public armed;
    /// @notice How many re-entry attempts were made.
    uint256 public attempts;
    /// @notice Whether the last re-entry attempt succeeded.
    bool public lastSuccess;
    /// @notice The return data (on success) or revert data (on failure) of the last attempt.
    bytes public lastReturnData;

    /// @notice Emitted after each re-entry attempt.
    /// @param success Whether the re-entering call succeeded.
    /// @param returnData Its return or revert data.
    event ReentryAttempted(bool success, bytes returnData);

    /// @notice Configures and arms the attack; anyone may call it (test contract).
    /// @param newTarget The contract to re-enter.
    /// @param newAttackData The calldata to send it.
    function arm(address newTarget, bytes calldata newAttackData) external {
        attackTarget = newTarget;
        attackData = newAttackData;
        armed = true;
    }

    /// @notice Disarms the attack; incoming ETH and callbacks are then simply accepted.
    function disarm() external {
        armed = false;
    }

    /// @notice Accepts ETH and, when armed, attempts the re-entry.
    receive() external payable {
        _attack();
    }

    /// @inheritdoc IHookReceiver
    function onTokenTransfer(address, address, uint256) external override {
        _attack();
    }

    function _attack() private {
        if (!armed) return;
        armed = false;
        ++attempts;
        // The whole point of this mock is an arbitrary low-level call; its outcome is recorded, not trusted.
        (bool success, bytes memory returnData) = attackTarget.call(attackData);
        lastSuccess = success;
        lastReturnData = returnData;
        emit ReentryAttempted(success, returnData);
    }
}
