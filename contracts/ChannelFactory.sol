// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {ChannelMastercopy} from "./channel/ChannelMastercopy.sol";
import {DeploymentConfig} from "./config/DeploymentConfig.sol";
import {IChannelFactory} from "./interfaces/IChannelFactory.sol";
import {IChannel} from "./interfaces/IChannel.sol";
import {IChannelCore} from "./interfaces/IChannelCore.sol";
import {IDepositUnit} from "./interfaces/IDepositUnit.sol";
import {AssetTransfer} from "./libraries/AssetTransfer.sol";
import {ChannelProxy} from "./libraries/ChannelProxy.sol";

/// @title ChannelFactory
/// @notice Deploys Switchyard channels as CREATE2 proxies of one mastercopy, which it deploys itself with the
///         same limits it holds, so a factory address fixes the whole deployment. No owner, no storage.
contract ChannelFactory is IChannelFactory, DeploymentConfig, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @dev The mastercopy this factory deployed in its constructor.
    address private immutable MASTERCOPY;

    /// @param limits Per-asset channel capacity and transfer caps (see DeploymentConfig).
    /// @param minTimeout_ The shortest dispute phase in seconds.
    /// @param maxTimeout_ The longest dispute phase in seconds.
    constructor(
        AssetLimit[] memory limits,
        uint256 minTimeout_,
        uint256 maxTimeout_
    ) DeploymentConfig(limits, minTimeout_, maxTimeout_) {
        MASTERCOPY = address(new ChannelMastercopy(address(this), limits, minTimeout_, maxTimeout_));
    }

    /// @inheritdoc IChannelFactory
    function mastercopy() external view returns (address) {
        return MASTERCOPY;
    }

    /// @inheritdoc IChannelFactory
    function channelAddress(address alice, address bob, bytes32 salt) public view returns (address) {
        return _addressOf(ChannelProxy.creationCode(MASTERCOPY, alice, bob), salt);
    }

    /// @inheritdoc IChannelFactory
    function createChannel(address alice, address bob, bytes32 salt) external returns (address channel) {
        bytes memory code = _creationCode(alice, bob);
        channel = _addressOf(code, salt);
        // Checked before CREATE2: a CREATE2 collision consumes all the gas it is given (EIP-684).
        if (channel.code.length != 0) revert ChannelExists(channel);
        _deploy(code, salt, 0);
        emit ChannelCreated(channel, alice, bob, salt);
    }

    /// @inheritdoc IChannelFactory
    function createChannelAndDeposit(
        address alice,
        address bob,
        bytes32 salt,
        address asset,
        uint256 amount
    ) external payable nonReentrant returns (address channel) {
        // The lock matters for tokens: the deposit is measured as the channel's balance difference around
        // transferFrom, and a token hook re-entering here would otherwise have its nested deposit counted twice.
        if (amount == 0) revert ZeroAmount();
        bytes memory code = _creationCode(alice, bob);
        channel = _addressOf(code, salt);
        // Whether the channel exists is asked before any CREATE2: a CREATE2 collision would consume all the gas
        // it is given (EIP-684), so "create, else deposit" must not be tried by creating first.
        bool exists = channel.code.length != 0;
        if (asset == address(0)) {
            if (msg.value != amount) revert ValueMismatch(amount, msg.value);
            // The creation code writes CALLVALUE into the packed ledger slot: it must fit its 112 bits.
            if (amount > type(uint112).max) revert IChannelCore.AmountOverflow(amount);
            uint256 capacity = _capacityOf(address(0));
            if (capacity != type(uint256).max) {
                // Bob may already have funded the counterfactual address.
                uint256 balanceAfter = channel.balance + amount;
                if (balanceAfter > capacity) revert CapacityExceeded(address(0), balanceAfter, capacity);
            }
            if (exists) {
                IDepositUnit(channel).depositAliceEth{value: amount}();
            } else {
                // The proxy's creation code records CALLVALUE as alice's deposit (see ChannelProxy).
                _deploy(code, salt, amount);
                emit ChannelCreated(channel, alice, bob, salt);
                emit AliceDepositedOnCreation(channel, address(0), amount);
            }
        } else {
            if (msg.value != 0) revert ValueMismatch(0, msg.value);
            if (!exists) {
                _deploy(code, salt, 0);
                emit ChannelCreated(channel, alice, bob, salt);
            }
            _depositToken(channel, asset, amount);
        }
    }

    /// @dev Pulls `amount` of token `asset` from the caller into `channel` and credits alice with what arrived.
    function _depositToken(address channel, address asset, uint256 amount) private {
        // Measured around the pull: the channel's balance and alice's tracked total. A token hook that makes a
        // tracked deposit into the channel during the pull (the channel is not locked while the factory pulls)
        // has that deposit credited by the channel itself; subtracting it here keeps it from being credited a
        // second time as part of the balance difference.
        uint256 balanceBefore = _tokenBalance(asset, channel);
        uint256 trackedBefore = IChannel(channel).totalDepositsAlice(asset);
        IERC20(asset).safeTransferFrom(msg.sender, channel, amount);
        uint256 arrived = _tokenBalance(asset, channel);
        uint256 trackedMeanwhile = IChannel(channel).totalDepositsAlice(asset) - trackedBefore;
        if (arrived <= balanceBefore + trackedMeanwhile) revert NothingReceived(asset);
        uint256 received = arrived - balanceBefore - trackedMeanwhile;
        // The channel checks its capacity against its balance and records the deposit for alice.
        IDepositUnit(channel).creditAliceDeposit(asset, received);
        emit AliceDepositedOnCreation(channel, asset, received);
    }

    /// @dev The proxy creation code of (alice, bob), after checking the parties.
    function _creationCode(address alice, address bob) private view returns (bytes memory) {
        if (alice == address(0) || bob == address(0) || alice == bob) revert InvalidParties(alice, bob);
        return ChannelProxy.creationCode(MASTERCOPY, alice, bob);
    }

    /// @dev The CREATE2 address of `code` deployed by this factory with `salt`.
    function _addressOf(bytes memory code, bytes32 salt) private view returns (address) {
        bytes32 codeHash = keccak256(code);
        return address(uint160(uint256(keccak256(abi.encodePacked(bytes1(0xff), address(this), salt, codeHash)))));
    }

    /// @dev CREATE2-deploys `code` with `salt` and `value` at an address the caller checked is free of code.
    function _deploy(bytes memory code, bytes32 salt, uint256 value) private {
        address channel;
        // CREATE2 of the proxy's creation code held in memory. The callers checked the address has no code; this
        // still fails when the creation runs out of gas or the address has a nonce (EIP-684 collision).
        assembly ("memory-safe") {
            channel := create2(value, add(code, 0x20), mload(code), salt)
        }
        if (channel == address(0)) revert ChannelCreationFailed();
    }

    /// @dev `holder`'s balance of token `asset` (one word of return data read; a failed answer is refused).
    function _tokenBalance(address asset, address holder) private view returns (uint256) {
        (bool ok, uint256 amount) = AssetTransfer.tryBalanceOf(asset, holder);
        if (!ok) revert NothingReceived(asset);
        return amount;
    }
}
