// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

/// @title IDeploymentConfig
/// @notice The safety limits of one Switchyard deployment. They are fixed when the factory is deployed (the
///         factory and the channel mastercopy hold the same values as immutables), readable by anyone, and
///         nobody can change them afterwards.
interface IDeploymentConfig {
    /// @notice The per-asset limits of a deployment.
    /// @param asset The token address, or address(0) for native currency.
    /// @param channelCapacity The most a channel may hold of `asset` after a deposit that passes through it.
    /// @param transferCap The largest conditional transfer of `asset` the SDK will sign.
    struct AssetLimit {
        address asset;
        uint256 channelCapacity;
        uint256 transferCap;
    }

    /// @notice More capped assets were given than a deployment supports.
    error TooManyCappedAssets(uint256 count, uint256 max);
    /// @notice A capped asset was given a zero capacity or a zero transfer cap, or a transfer cap above capacity.
    error InvalidAssetLimit(address asset, uint256 channelCapacity, uint256 transferCap);
    /// @notice The same asset was listed twice.
    error DuplicateCappedAsset(address asset);
    /// @notice The dispute-timeout bounds are zero or inverted.
    error InvalidTimeoutBounds(uint256 minTimeout, uint256 maxTimeout);

    /// @notice The shortest dispute phase, in seconds: a state's timeout below it is raised to it.
    function minTimeout() external view returns (uint256);

    /// @notice The longest dispute phase, in seconds: a state's timeout above it is lowered to it.
    function maxTimeout() external view returns (uint256);

    /// @notice The limits of `asset`; (type(uint256).max, type(uint256).max) for an asset without limits.
    /// @param asset The token address, or address(0) for native currency.
    /// @return channelCapacity The most a channel may hold after a tracked deposit.
    /// @return transferCap The largest conditional transfer the SDK will sign.
    function limitsOf(address asset) external view returns (uint256 channelCapacity, uint256 transferCap);

    /// @notice Every asset with limits in this deployment.
    function cappedAssets() external view returns (AssetLimit[] memory limits);
}
