// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IDeploymentConfig} from "./IDeploymentConfig.sol";

/// @title IChannelFactory
/// @notice Creates Switchyard channels at addresses known in advance. A channel is a minimal proxy of the one
///         mastercopy, deployed with CREATE2 over (alice, bob, salt), with alice and bob as immutable arguments
///         in its code. The factory has no owner and no storage: it cannot change or move any channel's funds.
interface IChannelFactory is IDeploymentConfig {
    /// @notice A channel was deployed.
    /// @param channel The channel's address.
    /// @param alice The party that deposits through tracked calls.
    /// @param bob The party that deposits by plain transfers.
    /// @param salt The salt the address was derived with.
    event ChannelCreated(address indexed channel, address indexed alice, address indexed bob, bytes32 salt);

    /// @notice Alice's deposit made together with the channel's creation.
    /// @param channel The new channel.
    /// @param asset The token address, or address(0) for native currency.
    /// @param amount The amount the channel received and credited to alice.
    event AliceDepositedOnCreation(address indexed channel, address indexed asset, uint256 amount);

    /// @notice The channel for these parties and salt already exists.
    error ChannelExists(address channel);
    /// @notice Alice or bob is the zero address, or they are the same address.
    error InvalidParties(address alice, address bob);
    /// @notice A deposit of zero.
    error ZeroAmount();
    /// @notice The ETH sent does not match what the call says (or ETH was sent with a token deposit).
    error ValueMismatch(uint256 expected, uint256 sent);
    /// @notice The deposit would take the channel above the deployment's capacity for the asset.
    error CapacityExceeded(address asset, uint256 balanceAfter, uint256 capacity);
    /// @notice CREATE2 of a channel failed although its address had no code: the creation ran out of gas, or the
    ///         address already has a nonce (a collision under EIP-684).
    error ChannelCreationFailed();
    /// @notice The token moved nothing into the channel.
    error NothingReceived(address asset);

    /// @notice The channel mastercopy every channel of this factory delegates to.
    function mastercopy() external view returns (address);

    /// @notice The address of the channel for (alice, bob, salt), whether or not it exists yet.
    /// @param alice The tracked-deposit party.
    /// @param bob The plain-transfer party.
    /// @param salt Any value; distinct salts give distinct channels for the same parties.
    function channelAddress(address alice, address bob, bytes32 salt) external view returns (address);

    /// @notice Deploys the channel for (alice, bob, salt). Anyone may call it.
    /// @return channel The new channel's address (equal to `channelAddress(alice, bob, salt)`).
    function createChannel(address alice, address bob, bytes32 salt) external returns (address channel);

    /// @notice Deploys the channel if it does not exist yet, then deposits for alice in one transaction.
    /// @dev ETH: send `amount` as value. ERC20: approve this factory for `amount` first; the channel is credited
    ///      with what it actually received (fee-on-transfer tokens credit less). If the channel already exists
    ///      (someone created it first), this only deposits, so front-running the creation cannot block it.
    /// @param asset The token address, or address(0) for native currency.
    /// @param amount The amount to deposit (must be non-zero).
    /// @return channel The channel's address.
    function createChannelAndDeposit(
        address alice,
        address bob,
        bytes32 salt,
        address asset,
        uint256 amount
    ) external payable returns (address channel);
}
