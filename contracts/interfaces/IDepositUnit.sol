// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

/// @title IDepositUnit
/// @notice Tracked deposits for alice. Bob deposits by sending ETH or tokens straight to the channel address
///         (even before it is deployed); his deposits are whatever alice's tracked deposits do not explain.
interface IDepositUnit {
    /// @notice Alice's tracked deposit was received.
    /// @param asset The token address, or address(0) for native currency.
    /// @param amount What the channel received and credited to alice.
    /// @param totalDeposits Alice's cumulative tracked deposits of `asset` after this one.
    event AliceDeposited(address indexed asset, uint256 amount, uint256 totalDeposits);

    /// @notice A deposit of zero, or a token deposit that moved nothing into the channel.
    error ZeroDeposit(address asset);
    /// @notice The ETH sent does not match the amount, or ETH was sent with a token deposit.
    error DepositValueMismatch(uint256 expected, uint256 sent);
    /// @notice The deposit would take the channel above the deployment's capacity for the asset.
    error ChannelCapacityExceeded(address asset, uint256 balanceAfter, uint256 capacity);
    /// @notice Only the channel's factory may credit a deposit it made.
    error OnlyFactory(address caller);

    /// @notice Deposits `amount` of `asset` for alice. Anyone may deposit for alice.
    /// @dev ETH: send exactly `amount` as value. ERC20: approve the channel first; the channel credits what it
    ///      actually received (balance after minus before), so fee-on-transfer tokens credit less, tokens that
    ///      return false revert, and tokens that return nothing (USDT style) work.
    /// @param asset The token address, or address(0) for native currency.
    /// @param amount The amount to deposit.
    function depositAlice(address asset, uint256 amount) external payable;

    /// @notice Deposits the ETH sent (`msg.value`) for alice: the cheapest tracked deposit. Anyone may deposit for
    ///         alice.
    /// @dev Handled by the channel proxy's own code, without the hop to the mastercopy (see ChannelProxy), and with
    ///      the same checks, storage and event as `depositAlice(address(0), msg.value)`: reverts with ZeroDeposit
    ///      for no value, ChannelCapacityExceeded above the deployment's capacity, AmountOverflow beyond 112 bits,
    ///      ReentrancyGuardReentrantCall while the channel's lock is held. Extra calldata after the selector is
    ///      ignored, as Solidity ignores it.
    function depositAliceEth() external payable;

    /// @notice Credits alice with tokens the factory moved into the channel while creating it.
    /// @dev Factory only; the factory measures what arrived.
    /// @param asset The token address.
    /// @param amount What the channel received.
    function creditAliceDeposit(address asset, uint256 amount) external;
}
