// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

/// @title IVm
/// @notice The subset of the Hardhat/EDR cheatcodes this suite uses (forge-std is not installable here).
/// @dev The cheatcode contract lives at address(uint160(uint256(keccak256("hevm cheat code")))).
interface IVm {
    function addr(uint256 privateKey) external pure returns (address);
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function deal(address account, uint256 newBalance) external;
    function warp(uint256 newTimestamp) external;
    function chainId(uint256 newChainId) external;
    function expectRevert() external;
    function expectRevert(bytes4 revertData) external;
    function expectRevert(bytes calldata revertData) external;
    function expectEmit() external;
    function expectEmit(address emitter) external;
    function assume(bool condition) external pure;
    function label(address account, string calldata newLabel) external;
    function etch(address target, bytes calldata newRuntimeBytecode) external;
    function record() external;
    function getCode(string calldata artifactPath) external view returns (bytes memory);
    function txGasPrice(uint256 newGasPrice) external;
    function load(address target, bytes32 slot) external view returns (bytes32 data);
    function setNonce(address account, uint64 newNonce) external;
    function expectRevert(bytes4 revertData, address reverter) external;
    function store(address target, bytes32 slot, bytes32 value) external;
}
