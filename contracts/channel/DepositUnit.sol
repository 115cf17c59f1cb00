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
        _refuseMastercopy();
        if (amount == 0) revert ZeroDeposit(asset);
        uint256 received;
        uint256 balanceAfter;
        if (asset == address(0)) {
            if (msg.value != amount) revert DepositValueMismatch(amount, msg.value);
            received = amount;
            balanceAfter = address(this).balance;
        } else {
            if (msg.value != 0) revert DepositValueMismatch(0, msg.value);
            uint256 balanceBefore = _tokenBalanceOfSelf(asset);
            IERC20(asset).safeTransferFrom(msg.sender, address(this), amount);
            balanceAfter = _tokenBalanceOfSelf(asset);
            // Credit what arrived, not what was asked: fee-on-transfer tokens credit less.
            if (balanceAfter <= balanceBefore) revert ZeroDeposit(asset);
            received = balanceAfter - balanceBefore;
        }
        _creditAlice(asset, received, balanceAfter);
    }

    /// @inheritdoc IDepositUnit
    /// @dev Runs only when the proxy's own tracked-deposit path declined the call (ChannelProxy): a deposit of
    ///      zero, a call while the lock is held, a balance above the proxy's copy of the capacity, or a total
    ///      beyond 112 bits. It applies the same checks with their named errors, and performs the deposit when
    ///      they pass (a capacity above 2^112 - 1, which the proxy's 14-byte copy cannot hold).
    function depositAliceEth() external payable nonReentrant {
        _refuseMastercopy();
        if (msg.value == 0) revert ZeroDeposit(address(0));
        _creditAlice(address(0), msg.value, address(this).balance);
    }

    /// @inheritdoc IDepositUnit
    function creditAliceDeposit(address asset, uint256 amount) external nonReentrant {
        if (msg.sender != FACTORY) revert OnlyFactory(msg.sender);
        _refuseMastercopy();
        _creditAlice(asset, amount, AssetTransfer.balanceOfSelf(asset));
    }

    /// @dev The channel's balance of token `asset` (never address(0) here); reverts when the token cannot answer.
    function _tokenBalanceOfSelf(address asset) private view returns (uint256 amount) {
        bool ok;
        (ok, amount) = AssetTransfer.tryBalanceOf(asset, address(this));
        if (!ok) revert BalanceQueryFailed(asset);
    }

    /// @dev Checks capacity against the channel's holdings after the deposit and adds to alice's total.
    function _creditAlice(address asset, uint256 received, uint256 balanceAfter) private {
        uint256 capacity = _capacityOf(asset);
        if (balanceAfter > capacity) revert ChannelCapacityExceeded(asset, balanceAfter, capacity);
        ChannelStorage.Ledger storage ledger = ChannelStorage.ledgerOf(asset);
        uint256 word;
        // One read of the packed ledger slot; aliceDeposits is its lowest 112 bits (see ChannelStorage).
        assembly ("memory-safe") {
            word := sload(ledger.slot)
        }
        uint256 total = (word & type(uint112).max) + received;
        if (total > type(uint112).max) revert AmountOverflow(total);
        // One write: adding `received` to the whole word cannot carry out of the lowest 112 bits (checked above),
        // so the other fields are unchanged.
        assembly ("memory-safe") {
            sstore(ledger.slot, add(word, received))
        }
        emit AliceDeposited(asset, received, total);
    }
}
