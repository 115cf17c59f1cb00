// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IDepositUnit} from "../interfaces/IDepositUnit.sol";
import {AssetTransfer} from "../libraries/AssetTransfer.sol";
import {ChannelStorage} from "../libraries/ChannelStorage.sol";
import {ChannelCore} from "./ChannelCore.sol";

/// @title DepositUnit
/// @notice Alice's tracked deposits. Bob's deposits need no code: he transfers to the channel address.
abstract contract DepositUnit is ChannelCore, IDepositUnit {
    using SafeERC20 for IERC20;

    /// @inheritdoc IDepositUnit
    function depositAlice(address asset, uint256 amount) external payable nonReentrant {
        _parties(); // refuses the mastercopy
        if (amount == 0) revert ZeroDeposit(asset);
        uint256 received;
        uint256 balanceAfter;
        if (asset == address(0)) {
            if (msg.value != amount) revert DepositValueMismatch(amount, msg.value);
            received = amount;
            balanceAfter = address(this).balance;
        } else {
            if (msg.value != 0) revert DepositValueMismatch(0, msg.value);
            uint256 balanceBefore = AssetTransfer.balanceOfSelf(asset);
            IERC20(asset).safeTransferFrom(msg.sender, address(this), amount);
            balanceAfter = AssetTransfer.balanceOfSelf(asset);
            // Credit what arrived, not what was asked: fee-on-transfer tokens credit less.
            if (balanceAfter <= balanceBefore) revert ZeroDeposit(asset);
            received = balanceAfter - balanceBefore;
        }
        _creditAlice(asset, received, balanceAfter);
    }

    /// @inheritdoc IDepositUnit
    function creditAliceDeposit(address asset, uint256 amount) external nonReentrant {
        if (msg.sender != FACTORY) revert OnlyFactory(msg.sender);
        _parties(); // refuses the mastercopy
        _creditAlice(asset, amount, AssetTransfer.balanceOfSelf(asset));
    }

    /// @dev Checks capacity against the channel's holdings after the deposit and adds to alice's total.
    function _creditAlice(address asset, uint256 received, uint256 balanceAfter) private {
        uint256 capacity = _capacityOf(asset);
        if (balanceAfter > capacity) revert ChannelCapacityExceeded(asset, balanceAfter, capacity);
        ChannelStorage.Ledger storage ledger = ChannelStorage.layout().ledgers[asset];
        uint256 total = uint256(ledger.aliceDeposits) + received;
        if (total > type(uint112).max) revert AmountOverflow(total);
        ledger.aliceDeposits = uint112(total);
        emit AliceDeposited(asset, received, total);
    }
}
