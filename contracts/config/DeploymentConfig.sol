// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IDeploymentConfig} from "../interfaces/IDeploymentConfig.sol";

/// @title DeploymentConfig
/// @notice A deployment's safety limits held as immutables, so they cost no storage read, cannot change, and are
///         shared by every channel (the mastercopy's immutables live in its code, which every proxy executes).
/// @dev Up to MAX_CAPPED_ASSETS assets can be capped; any other asset has no limit.
abstract contract DeploymentConfig is IDeploymentConfig {
    /// @notice How many assets one deployment can cap.
    uint256 public constant MAX_CAPPED_ASSETS = 4;

    uint256 private immutable CAPPED_COUNT;
    address private immutable ASSET_0;
    address private immutable ASSET_1;
    address private immutable ASSET_2;
    address private immutable ASSET_3;
    uint256 private immutable CAPACITY_0;
    uint256 private immutable CAPACITY_1;
    uint256 private immutable CAPACITY_2;
    uint256 private immutable CAPACITY_3;
    uint256 private immutable TRANSFER_CAP_0;
    uint256 private immutable TRANSFER_CAP_1;
    uint256 private immutable TRANSFER_CAP_2;
    uint256 private immutable TRANSFER_CAP_3;
    uint256 private immutable MIN_TIMEOUT;
    uint256 private immutable MAX_TIMEOUT;

    /// @param limits The capped assets (at most MAX_CAPPED_ASSETS, each once, caps non-zero, transfer cap at most
    ///        the capacity).
    /// @param minTimeout_ The shortest dispute phase in seconds (non-zero).
    /// @param maxTimeout_ The longest dispute phase in seconds (at least `minTimeout_`, below 2^32).
    constructor(AssetLimit[] memory limits, uint256 minTimeout_, uint256 maxTimeout_) {
        uint256 count = limits.length;
        if (count > MAX_CAPPED_ASSETS) revert TooManyCappedAssets(count, MAX_CAPPED_ASSETS);
        if (minTimeout_ == 0 || minTimeout_ > maxTimeout_ || maxTimeout_ > type(uint32).max) {
            revert InvalidTimeoutBounds(minTimeout_, maxTimeout_);
        }
        AssetLimit[MAX_CAPPED_ASSETS] memory padded;
        for (uint256 i = 0; i < count; ++i) {
            AssetLimit memory limit = limits[i];
            if (limit.channelCapacity == 0 || limit.transferCap == 0 || limit.transferCap > limit.channelCapacity) {
                revert InvalidAssetLimit(limit.asset, limit.channelCapacity, limit.transferCap);
            }
            for (uint256 j = 0; j < i; ++j) {
                if (limits[j].asset == limit.asset) revert DuplicateCappedAsset(limit.asset);
            }
            padded[i] = limit;
        }
        CAPPED_COUNT = count;
        ASSET_0 = padded[0].asset;
        ASSET_1 = padded[1].asset;
        ASSET_2 = padded[2].asset;
        ASSET_3 = padded[3].asset;
        CAPACITY_0 = padded[0].channelCapacity;
        CAPACITY_1 = padded[1].channelCapacity;
        CAPACITY_2 = padded[2].channelCapacity;
        CAPACITY_3 = padded[3].channelCapacity;
        TRANSFER_CAP_0 = padded[0].transferCap;
        TRANSFER_CAP_1 = padded[1].transferCap;
        TRANSFER_CAP_2 = padded[2].transferCap;
        TRANSFER_CAP_3 = padded[3].transferCap;
        MIN_TIMEOUT = minTimeout_;
        MAX_TIMEOUT = maxTimeout_;
    }

    /// @inheritdoc IDeploymentConfig
    function minTimeout() external view returns (uint256) {
        return MIN_TIMEOUT;
    }

    /// @inheritdoc IDeploymentConfig
    function maxTimeout() external view returns (uint256) {
        return MAX_TIMEOUT;
    }

    /// @inheritdoc IDeploymentConfig
    function limitsOf(address asset) external view returns (uint256 channelCapacity, uint256 transferCap) {
        return _limitsOf(asset);
    }

    /// @inheritdoc IDeploymentConfig
    function cappedAssets() external view returns (AssetLimit[] memory limits) {
        uint256 count = CAPPED_COUNT;
        limits = new AssetLimit[](count);
        if (count > 0) limits[0] = AssetLimit(ASSET_0, CAPACITY_0, TRANSFER_CAP_0);
        if (count > 1) limits[1] = AssetLimit(ASSET_1, CAPACITY_1, TRANSFER_CAP_1);
        if (count > 2) limits[2] = AssetLimit(ASSET_2, CAPACITY_2, TRANSFER_CAP_2);
        if (count > 3) limits[3] = AssetLimit(ASSET_3, CAPACITY_3, TRANSFER_CAP_3);
    }

    /// @dev The capacity of `asset` (type(uint256).max when uncapped). Reads only code, no storage.
    function _capacityOf(address asset) internal view returns (uint256) {
        (uint256 capacity, ) = _limitsOf(asset);
        return capacity;
    }

    /// @dev A state's timeout clamped into the deployment's bounds.
    function _clampTimeout(uint256 timeout) internal view returns (uint256) {
        if (timeout < MIN_TIMEOUT) return MIN_TIMEOUT;
        if (timeout > MAX_TIMEOUT) return MAX_TIMEOUT;
        return timeout;
    }

    /// @dev The longest dispute phase, for bounding transfer settlement windows.
    function _maxTimeout() internal view returns (uint256) {
        return MAX_TIMEOUT;
    }

    function _limitsOf(address asset) private view returns (uint256, uint256) {
        uint256 count = CAPPED_COUNT;
        if (count > 0 && asset == ASSET_0) return (CAPACITY_0, TRANSFER_CAP_0);
        if (count > 1 && asset == ASSET_1) return (CAPACITY_1, TRANSFER_CAP_1);
        if (count > 2 && asset == ASSET_2) return (CAPACITY_2, TRANSFER_CAP_2);
        if (count > 3 && asset == ASSET_3) return (CAPACITY_3, TRANSFER_CAP_3);
        return (type(uint256).max, type(uint256).max);
    }
}
