// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {DeploymentConfig} from "../config/DeploymentConfig.sol";
import {IChannelCore} from "../interfaces/IChannelCore.sol";
import {IDeploymentConfig} from "../interfaces/IDeploymentConfig.sol";
import {AssetTransfer} from "../libraries/AssetTransfer.sol";
import {ChannelHashing} from "../libraries/ChannelHashing.sol";
import {ChannelStorage} from "../libraries/ChannelStorage.sol";

/// @title ChannelCore
/// @notice The base every channel unit builds on: parties read from the proxy's code, signature checks, the
///         per-asset ledger, bounded payouts with exits as the fallback, and exit withdrawals.
abstract contract ChannelCore is IChannelCore, DeploymentConfig {
    /// @dev Offset of (alice, bob) in a proxy's runtime code: ChannelProxy.ARGS_OFFSET (a test checks they agree;
    ///      inline assembly only takes literal constants).
    uint256 internal constant ARGS_OFFSET = 0xa1;

    /// @dev The mastercopy's own address: calls that reach it directly (not through a proxy) are refused.
    address private immutable SELF;
    /// @dev The factory that deploys the proxies and may credit deposits it made on creation.
    address internal immutable FACTORY;

    /// @param factory_ The factory deploying this mastercopy's proxies.
    /// @param limits The deployment's per-asset limits (see DeploymentConfig).
    /// @param minTimeout_ The shortest dispute phase.
    /// @param maxTimeout_ The longest dispute phase.
    constructor(
        address factory_,
        IDeploymentConfig.AssetLimit[] memory limits,
        uint256 minTimeout_,
        uint256 maxTimeout_
    ) DeploymentConfig(limits, minTimeout_, maxTimeout_) {
        SELF = address(this);
        FACTORY = factory_;
    }

    /// @dev The channel's re-entry lock: transient slot 0 of the channel (transient storage is per address, and a
    ///      channel keeps nothing else there). Not OpenZeppelin's ReentrancyGuardTransient, whose 32-byte slot
    ///      would cost the proxy's tracked-deposit path, which must see the lock, 32 more bytes of code in every
    ///      channel (6,400 gas per deployment): the proxy reads this one with PUSH0 TLOAD (see ChannelProxy).
    ///      Same semantics: a nested entry reverts with ReentrancyGuardReentrantCall; the lock is released on
    ///      return (and transient storage is cleared at the end of the transaction in any case).
    modifier nonReentrant() {
        _lock();
        _;
        // Releases the lock taken by _lock (transient slot 0 of this channel).
        assembly ("memory-safe") {
            tstore(0, 0)
        }
    }

    // ─── views ───────────────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IChannelCore
    function alice() external view returns (address a) {
        (a, ) = _parties();
    }

    /// @inheritdoc IChannelCore
    function bob() external view returns (address b) {
        (, b) = _parties();
    }

    /// @inheritdoc IChannelCore
    function factory() external view returns (address) {
        return FACTORY;
    }

    /// @inheritdoc IChannelCore
    function totalDepositsAlice(address asset) external view returns (uint256) {
        _requireUnlocked();
        return ChannelStorage.ledgerOf(asset).aliceDeposits;
    }

    /// @inheritdoc IChannelCore
    function totalDepositsBob(address asset) external view returns (uint256) {
        _requireUnlocked();
        return _bobDeposits(asset, ChannelStorage.ledgerOf(asset));
    }

    /// @inheritdoc IChannelCore
    function totalPaidOut(address asset) external view returns (uint256) {
        _requireUnlocked();
        return ChannelStorage.ledgerOf(asset).paidOut;
    }

    /// @inheritdoc IChannelCore
    function defundNonce(address asset) external view returns (uint256) {
        _requireUnlocked();
        return ChannelStorage.ledgerOf(asset).defundNonce;
    }

    /// @inheritdoc IChannelCore
    function exitOf(address asset, address owner) external view returns (uint256) {
        _requireUnlocked();
        return ChannelStorage.layout().exits[asset][owner];
    }

    /// @inheritdoc IChannelCore
    function exitsOutstanding(address asset) external view returns (uint256) {
        _requireUnlocked();
        return ChannelStorage.layout().exitsOutstanding[asset];
    }

    /// @inheritdoc IChannelCore
    function exitNonce(address owner) external view returns (uint256) {
        _requireUnlocked();
        return ChannelStorage.layout().exitNonces[owner];
    }

    // ─── exits ───────────────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IChannelCore
    function withdrawExit(
        address asset,
        address owner,
        address recipient,
        bytes calldata signature
    ) external nonReentrant {
        _refuseMastercopy();
        ChannelStorage.Layout storage $ = ChannelStorage.layout();
        // Every exit withdrawal spends the owner's exit nonce, the owner's own included: an authorization the owner
        // gave a relayer and then did not need dies with the claim it was meant for, instead of sweeping the
        // owner's next claim to the recipient it named.
        uint256 nonce = $.exitNonces[owner];
        if (msg.sender != owner) {
            bytes32 digest = ChannelHashing.digest(
                address(this),
                ChannelHashing.hashExitAuthorization(asset, recipient, nonce)
            );
            _verifySignature(owner, digest, signature);
        }
        $.exitNonces[owner] = nonce + 1;
        uint256 claim = $.exits[asset][owner];
        if (claim == 0) revert NoExit(asset, owner);
        $.exits[asset][owner] = 0;
        uint256 outstanding = $.exitsOutstanding[asset] - claim;
        $.exitsOutstanding[asset] = outstanding;
        ChannelStorage.Ledger storage ledger = ChannelStorage.ledgerOf(asset);
        if (outstanding == 0) ledger.hasExits = false;
        // A claim was backed when it was kept; only a token that shrank since can leave less than it. Pay what
        // is held rather than nothing, so that no claim is ever locked, and report the rest.
        uint256 held = AssetTransfer.balanceOfSelf(asset);
        uint256 amount = claim < held ? claim : held;
        _addPaidOut(ledger, amount);
        if (amount != claim) emit PayoutShortfall(asset, owner, claim - amount);
        AssetTransfer.strictSend(asset, recipient, amount);
        emit ExitWithdrawn(asset, owner, recipient, amount);
    }

    // ─── internals ───────────────────────────────────────────────────────────────────────────────────────

    /// @dev Reverts while the channel's re-entry lock is held: a view read from inside a call (a payee's hook, a
    ///      token hook, a withdraw helper) would see a half-applied ledger (payouts counted before they are sent),
    ///      so views of mutable state refuse rather than answer (read-only re-entrancy).
    function _requireUnlocked() internal view {
        if (_reentrancyGuardEntered()) revert ChannelLocked();
    }

    /// @dev Takes the re-entry lock, reverting if it is held.
    function _lock() private {
        if (_reentrancyGuardEntered()) revert ReentrancyGuardReentrantCall();
        // Transient slot 0 is the lock (see nonReentrant).
        assembly ("memory-safe") {
            tstore(0, 1)
        }
    }

    /// @dev Whether a nonReentrant entry point of this channel is running.
    function _reentrancyGuardEntered() internal view returns (bool held) {
        // Transient slot 0 is the lock (see nonReentrant).
        assembly ("memory-safe") {
            held := tload(0)
        }
    }

    /// @dev Reverts when the call reached the mastercopy itself rather than a proxy.
    function _refuseMastercopy() internal view {
        if (address(this) == SELF) revert NotAChannel();
    }

    /// @dev Alice and bob, read from the proxy's runtime code (immutable arguments). Reverts on the mastercopy.
    function _parties() internal view returns (address a, address b) {
        _refuseMastercopy();
        // Copies the 40 bytes of (alice, bob) from this proxy's own code into scratch space (0x00-0x3f) and
        // reads them back; the free memory pointer is untouched.
        assembly ("memory-safe") {
            extcodecopy(address(), 0x00, ARGS_OFFSET, 0x28)
            a := shr(96, mload(0x00))
            b := shr(96, mload(0x14))
        }
    }

    /// @dev Reverts unless `signer` signed `digest`: a 65-byte low-s ECDSA signature recovering to `signer`, or
    ///      else an ERC-1271 approval by `signer`. ECDSA is tried first so an EOA costs no EXTCODESIZE.
    function _verifySignature(address signer, bytes32 digest, bytes calldata signature) internal view {
        if (signature.length == 65) {
            bytes32 r;
            bytes32 s;
            uint8 v;
            // Splits the calldata signature r ‖ s ‖ v without copying it to memory; length checked above.
            assembly ("memory-safe") {
                r := calldataload(signature.offset)
                s := calldataload(add(signature.offset, 0x20))
                v := byte(0, calldataload(add(signature.offset, 0x40)))
            }
            // tryRecover rejects high-s and returns an error (never address(0) as a signer) for invalid input.
            (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecover(digest, v, r, s);
            if (err == ECDSA.RecoverError.NoError && recovered == signer) return;
        }
        if (!SignatureChecker.isValidERC1271SignatureNow(signer, digest, signature)) revert InvalidSignature(signer);
    }

    /// @dev Verifies both parties' signatures of `digest`.
    function _verifyBoth(
        address a,
        address b,
        bytes32 digest,
        bytes calldata aliceSignature,
        bytes calldata bobSignature
    ) internal view {
        _verifySignature(a, digest, aliceSignature);
        _verifySignature(b, digest, bobSignature);
    }

    /// @dev Bob's cumulative deposits: balance + paid out − alice's deposits, never negative.
    function _bobDeposits(address asset, ChannelStorage.Ledger memory ledger) internal view returns (uint256) {
        return _bobDepositsOf(asset, ledger.aliceDeposits, ledger.paidOut);
    }

    /// @dev Bob's cumulative deposits from alice's deposits and the paid-out total of `asset`.
    function _bobDepositsOf(
        address asset,
        uint256 aliceDeposits,
        uint256 paidOut
    ) internal view returns (uint256) {
        uint256 seen = AssetTransfer.balanceOfSelf(asset) + paidOut;
        return seen > aliceDeposits ? seen - aliceDeposits : 0;
    }

    /// @dev Adds `amount` to a ledger's paid-out counter, refusing amounts the 112-bit counter cannot hold.
    function _addPaidOut(ChannelStorage.Ledger storage ledger, uint256 amount) internal {
        uint256 next = uint256(ledger.paidOut) + amount;
        if (next > type(uint112).max) revert AmountOverflow(next);
        ledger.paidOut = uint112(next);
    }

    /// @dev Pushes a payout whose amount is already counted in the ledger's paid-out total.
    ///      While claims are kept on the asset, the payout is limited to what the channel holds beyond them, so a
    ///      payout can never be made from a kept claim's backing. When the push fails, the amount is kept as `to`'s
    ///      claim up to what the channel holds beyond the claims already kept. Whatever could be neither paid nor
    ///      kept never existed in the channel (a shrinking token, or balances signed but never funded): it is taken
    ///      back out of the paid-out total and reported as a shortfall, so no claim can be paid from someone
    ///      else's later deposit.
    /// @param hasExits The ledger's claims flag as the caller last saw it (saves a storage read per payout).
    /// @return hasExitsAfter The flag after this payout (set when a claim was kept).
    function _pushCounted(
        ChannelStorage.Ledger storage ledger,
        address asset,
        address to,
        uint256 amount,
        bool hasExits
    ) internal returns (bool hasExitsAfter) {
        if (amount == 0) return hasExits;
        // The usual case: no claim is kept on the asset and the push succeeds. A successful push is reported by
        // the caller's event (AssetDefunded, Withdrawn, TransferSettled), which names the amounts.
        if (!hasExits && AssetTransfer.tryPush(asset, to, amount)) return false;
        return _pushGuarded(ledger, asset, to, amount, hasExits);
    }

    /// @dev The rest of `_pushCounted`: a push that must leave kept claims' backing alone, or that failed.
    function _pushGuarded(
        ChannelStorage.Ledger storage ledger,
        address asset,
        address to,
        uint256 amount,
        bool hasExits
    ) private returns (bool hasExitsAfter) {
        hasExitsAfter = hasExits;
        if (hasExits) {
            uint256 pushable = amount;
            uint256 free = _unclaimedHoldings(asset);
            if (pushable > free) pushable = free;
            if (pushable != 0 && AssetTransfer.tryPush(asset, to, pushable)) {
                if (pushable != amount) _shortfall(ledger, asset, to, amount - pushable);
                return hasExitsAfter;
            }
        }
        uint256 kept = amount;
        uint256 free2 = _unclaimedHoldings(asset);
        if (kept > free2) kept = free2;
        if (kept != 0) {
            ChannelStorage.Layout storage $ = ChannelStorage.layout();
            // Cannot underflow: `amount` (≥ kept) was added to paidOut by the caller before this push.
            unchecked {
                ledger.paidOut -= uint112(kept);
            }
            ledger.hasExits = true;
            hasExitsAfter = true;
            $.exits[asset][to] += kept;
            $.exitsOutstanding[asset] += kept;
            emit ExitRecorded(asset, to, kept);
        }
        if (kept != amount) _shortfall(ledger, asset, to, amount - kept);
    }

    /// @dev What the channel holds of `asset` beyond the claims kept on it. A token that cannot answer balanceOf
    ///      (frozen, paused, mid-upgrade, or starved of gas by the caller) reverts the whole call with
    ///      BalanceQueryFailed: an unknown balance is never read as zero, which would write the payout off as a
    ///      shortfall while spending its commitment. The commitment or transfer stays executable instead.
    function _unclaimedHoldings(address asset) private view returns (uint256) {
        uint256 held = AssetTransfer.balanceOfSelf(asset);
        uint256 outstanding = ChannelStorage.layout().exitsOutstanding[asset];
        return held > outstanding ? held - outstanding : 0;
    }

    /// @dev Takes a part of a counted payout that could be neither paid nor kept back out of paid-out.
    function _shortfall(ChannelStorage.Ledger storage ledger, address asset, address to, uint256 missing) private {
        // Cannot underflow: `missing` is part of an amount the caller added to paidOut.
        unchecked {
            ledger.paidOut -= uint112(missing);
        }
        emit PayoutShortfall(asset, to, missing);
    }
}
