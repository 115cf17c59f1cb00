// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title RebasingToken
/// @notice Test-only: simulates rebasing tokens (stETH, AMPL style). Accounts hold shares; a balance is
///         `shares × index / 1e18`, and `rebase(numerator, denominator)` multiplies the index, moving every
///         balance up (rewards) or down (slashing, negative rebase) without any transfer.
/// @dev Like stETH, an amount is converted to shares rounding down, so a transfer can deliver 1 wei less than
///      `amount` once the index is not 1e18.
contract RebasingToken is IERC20 {
    /// @notice The index scale: an index of 1e18 means one share is worth one token unit.
    uint256 public constant INDEX_ONE = 1e18;

    /// @notice The current value of 1e18 shares, in token units.
    uint256 public index = INDEX_ONE;
    /// @notice The sum of all shares.
    uint256 public totalShares;
    /// @notice The shares of each account.
    mapping(address account => uint256) public sharesOf;
    /// @inheritdoc IERC20
    mapping(address owner => mapping(address spender => uint256)) public override allowance;

    error InsufficientShares(address from, uint256 shares, uint256 needed);
    error InsufficientAllowance(address owner, address spender, uint256 allowance, uint256 needed);
    error InvalidRebase(uint256 numerator, uint256 denominator);

    /// @notice The token's name.
    /// @return The name.
    function name() external pure returns (string memory) {
        return "Rebasing Token";
    }

    /// @notice The token's symbol.
    /// @return The symbol.
    function symbol() external pure returns (string memory) {
        return "RBT";
    }

    /// @notice The token's decimals.
    /// @return Always 18.
    function decimals() external pure returns (uint8) {
        return 18;
    }

    /// @notice Mints tokens worth `amount` at the current index to `to`; anyone may call it (test token).
    /// @param to The recipient.
    /// @param amount The amount, in token units.
    function mint(address to, uint256 amount) external {
        uint256 shares = _toShares(amount);
        totalShares += shares;
        sharesOf[to] += shares;
        emit Transfer(address(0), to, amount);
    }

    /// @notice Multiplies every balance by `numerator / denominator`; anyone may call it (test token).
    /// @param numerator The multiplier's numerator.
    /// @param denominator The multiplier's denominator.
    function rebase(uint256 numerator, uint256 denominator) external {
        if (denominator == 0) revert InvalidRebase(numerator, denominator);
        uint256 newIndex = (index * numerator) / denominator;
        if (newIndex == 0) revert InvalidRebase(numerator, denominator);
        index = newIndex;
    }

    /// @inheritdoc IERC20
    function totalSupply() external view override returns (uint256) {
        return _toAmount(totalShares);
    }

    /// @inheritdoc IERC20
    function balanceOf(address account) external view override returns (uint256) {
        return _toAmount(sharesOf[account]);
    }

    /// @inheritdoc IERC20
    function transfer(address to, uint256 amount) external override returns (bool) {
        _move(msg.sender, to, amount);
        return true;
    }

    /// @inheritdoc IERC20
    function transferFrom(address from, address to, uint256 amount) external override returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) {
            if (allowed < amount) revert InsufficientAllowance(from, msg.sender, allowed, amount);
            allowance[from][msg.sender] = allowed - amount;
        }
        _move(from, to, amount);
        return true;
    }

    /// @inheritdoc IERC20
    function approve(address spender, uint256 amount) external override returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function _move(address from, address to, uint256 amount) private {
        uint256 shares = _toShares(amount);
        uint256 held = sharesOf[from];
        if (held < shares) revert InsufficientShares(from, held, shares);
        sharesOf[from] = held - shares;
        sharesOf[to] += shares;
        emit Transfer(from, to, amount);
    }

    function _toShares(uint256 amount) private view returns (uint256) {
        return (amount * INDEX_ONE) / index;
    }

    function _toAmount(uint256 shares) private view returns (uint256) {
        return (shares * index) / INDEX_ONE;
    }
}
