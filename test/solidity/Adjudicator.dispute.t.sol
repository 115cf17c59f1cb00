// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IAdjudicator} from "../../contracts/interfaces/IAdjudicator.sol";
import {IChannel} from "../../contracts/interfaces/IChannel.sol";
import {IChannelCore} from "../../contracts/interfaces/IChannelCore.sol";
import {ChannelFactory} from "../../contracts/ChannelFactory.sol";
import {MockERC1271Wallet} from "../../contracts/test/mocks/MockERC1271Wallet.sol";
import {AssetState, ChannelState, FinalState, WithdrawCommitment} from "../../contracts/types/ChannelTypes.sol";
import {DisputeFixture} from "./utils/DisputeFixture.sol";
import {ReferenceHashing} from "./utils/ReferenceHashing.sol";

/// @title Adjudicator dispute tests
/// @notice disputeChannel and its interplay with closeChannel: every phase (before, during and after each window),
///         nonce rules, replay across chain, channel, deployment and commitment type, malformed signatures,
///         ERC-1271 parties, timeout clamping and events.
contract AdjudicatorDisputeTest is DisputeFixture {
    uint256 internal constant N = 5;

    function setUp() public override {
        super.setUp();
        _depositAliceEth(10 ether);
        _depositBobEth(6 ether);
    }

    function _s(uint256 nonce) internal pure returns (ChannelState memory) {
        return _ethState(nonce, 7 ether, 9 ether, 10 ether, 6 ether, 1);
    }

    function _hash(ChannelState memory s) internal view returns (bytes32) {
        return hasher.hashChannelState(s);
    }

    function _expectStale(uint256 given, uint256 recorded) internal {
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.StaleNonce.selector, given, recorded));
    }

    function _expectBadSig(address signer) internal {
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.InvalidSignature.selector, signer));
    }

    function _assertRecord(uint256 nonce, uint256 ce, uint256 de) internal view {
        IAdjudicator.DisputeRecord memory r = _record();
        assertEq(r.nonce, nonce, "record nonce");
        assertEq(r.consensusExpiry, ce, "consensus expiry");
        assertEq(r.defundExpiry, de, "defund expiry");
    }

    // ─── opening a dispute ───────────────────────────────────────────────────────────────────────────────

    function test_disputeChannel_opensDisputeWithTheStateTimeout() public {
        ChannelState memory s = _s(N);
        (bytes memory sa, bytes memory sb) = _sigs(s);
        bytes32 h = _hash(s);
        vm.expectEmit(address(channel));
        emit IAdjudicator.ChannelDisputed(N, h, START + TIMEOUT, START + 2 * TIMEOUT);
        channel.disputeChannel(s, sa, sb);
        _assertRecord(N, START + TIMEOUT, START + 2 * TIMEOUT);
        assertEq(channel.disputedStateHash(), h, "disputed state hash");
        // A dispute moves no funds.
        assertEq(address(channel).balance, 16 ether, "channel balance untouched");
        assertEq(channel.totalPaidOut(ETH), 0, "nothing paid");
        _assertLedger(ETH);
    }

    function test_disputeChannel_anyoneMaySubmit() public {
        ChannelState memory s = _s(N);
        (bytes memory sa, bytes memory sb) = _sigs(s);
        vm.prank(eve);
        channel.disputeChannel(s, sa, sb);
        _assertRecord(N, START + TIMEOUT, START + 2 * TIMEOUT);
    }

    function test_disputeChannel_acceptsNonceOneOnAFreshChannel() public {
        _dispute(_s(1));
        _assertRecord(1, START + TIMEOUT, START + 2 * TIMEOUT);
    }

    function test_disputeChannel_revertsOnNonceZero() public {
        ChannelState memory s = _s(0);
        (bytes memory sa, bytes memory sb) = _sigs(s);
        _expectStale(0, 0);
        channel.disputeChannel(s, sa, sb);
    }

    function test_disputeChannel_acceptsTheLargestNonce() public {
        uint256 maxNonce = type(uint64).max;
        _dispute(_s(maxNonce));
        _assertRecord(maxNonce, START + TIMEOUT, START + 2 * TIMEOUT);
    }

    function test_disputeChannel_revertsOnNonceTooLarge() public {
        uint256 tooLarge = uint256(type(uint64).max) + 1;
        ChannelState memory s = _s(tooLarge);
        (bytes memory sa, bytes memory sb) = _sigs(s);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.NonceTooLarge.selector, tooLarge));
        channel.disputeChannel(s, sa, sb);

        ChannelState memory huge = _s(type(uint256).max);
        (sa, sb) = _sigs(huge);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.NonceTooLarge.selector, type(uint256).max));
        channel.disputeChannel(huge, sa, sb);
        _assertRecord(0, 0, 0);
    }

    function test_disputeChannel_revertsOnTheMastercopy() public {
        IChannel master = IChannel(factory.mastercopy());
        ChannelState memory s = _s(N);
        bytes memory sa = _signStateFor(address(master), ALICE_KEY, s);
        bytes memory sb = _signStateFor(address(master), BOB_KEY, s);
        vm.expectRevert(IChannelCore.NotAChannel.selector);
        master.disputeChannel(s, sa, sb);
    }

    // ─── timeout clamping ────────────────────────────────────────────────────────────────────────────────

    function test_disputeChannel_clampsAZeroTimeoutToTheMinimum() public {
        _dispute(_withTimeout(_s(N), 0));
        _assertRecord(N, START + MIN_TIMEOUT, START + 2 * MIN_TIMEOUT);
    }

    function test_disputeChannel_clampsAShortTimeoutToTheMinimum() public {
        _dispute(_withTimeout(_s(N), MIN_TIMEOUT - 1));
        _assertRecord(N, START + MIN_TIMEOUT, START + 2 * MIN_TIMEOUT);
    }

    function test_disputeChannel_keepsTimeoutsAtTheBounds() public {
        _dispute(_withTimeout(_s(N), MIN_TIMEOUT));
        _assertRecord(N, START + MIN_TIMEOUT, START + 2 * MIN_TIMEOUT);
        vm.warp(START + 2 * MIN_TIMEOUT);
        uint256 t = START + 2 * MIN_TIMEOUT;
        _dispute(_withTimeout(_s(N + 1), MAX_TIMEOUT));
        _assertRecord(N + 1, t + MAX_TIMEOUT, t + 2 * MAX_TIMEOUT);
    }

    function test_disputeChannel_clampsAHugeTimeoutToTheMaximum() public {
        _dispute(_withTimeout(_s(N), type(uint256).max));
        _assertRecord(N, START + MAX_TIMEOUT, START + 2 * MAX_TIMEOUT);
    }

    function testFuzz_disputeChannel_clampsTimeout(uint256 timeout) public {
        _dispute(_withTimeout(_s(N), timeout));
        uint256 t = timeout < MIN_TIMEOUT
            ? MIN_TIMEOUT
            : timeout > MAX_TIMEOUT
                ? MAX_TIMEOUT
                : timeout;
        _assertRecord(N, START + t, START + 2 * t);
    }

    // ─── refute during the consensus phase ───────────────────────────────────────────────────────────────

    function test_disputeChannel_refuteInTheSameBlockReplacesTheState() public {
        _dispute(_s(N));
        ChannelState memory newer = _ethState(N + 1, 3 ether, 13 ether, 10 ether, 6 ether, 1);
        _dispute(newer);
        _assertRecord(N + 1, START + TIMEOUT, START + 2 * TIMEOUT);
        assertEq(channel.disputedStateHash(), _hash(newer), "newer state recorded");
    }

    function test_disputeChannel_refuteAtTheLastSecondDoesNotExtend() public {
        _dispute(_s(N));
        vm.warp(START + TIMEOUT - 1);
        // A longer timeout in the newer state must not extend anything either.
        ChannelState memory newer = _withTimeout(_s(N + 7), MAX_TIMEOUT);
        (bytes memory sa, bytes memory sb) = _sigs(newer);
        bytes32 h = _hash(newer);
        vm.expectEmit(address(channel));
        emit IAdjudicator.ChannelDisputed(N + 7, h, START + TIMEOUT, START + 2 * TIMEOUT);
        channel.disputeChannel(newer, sa, sb);
        _assertRecord(N + 7, START + TIMEOUT, START + 2 * TIMEOUT);
        assertEq(channel.disputedStateHash(), h, "refuted state hash");
    }

    function test_disputeChannel_repeatedRefutesNeverExtend() public {
        _dispute(_s(N));
        for (uint256 i = 1; i <= 5; ++i) {
            vm.warp(START + (TIMEOUT * i) / 6);
            _dispute(_s(N + i));
            _assertRecord(N + i, START + TIMEOUT, START + 2 * TIMEOUT);
        }
    }

    function test_disputeChannel_refuteWithAShorterTimeoutDoesNotShorten() public {
        _dispute(_s(N));
        _dispute(_withTimeout(_s(N + 1), MIN_TIMEOUT));
        _assertRecord(N + 1, START + TIMEOUT, START + 2 * TIMEOUT);
    }

    function test_disputeChannel_revertsOnStaleNonceDuringConsensus() public {
        _dispute(_s(N));
        vm.warp(START + 1);
        ChannelState memory older = _s(N - 1);
        (bytes memory sa, bytes memory sb) = _sigs(older);
        _expectStale(N - 1, N);
        channel.disputeChannel(older, sa, sb);
    }

    function test_disputeChannel_revertsOnEqualNonceWithOtherBalances() public {
        _dispute(_s(N));
        // Same nonce, different content (both signed it: a double-signed nonce must not be replayable).
        ChannelState memory twin = _ethState(N, 0, 16 ether, 10 ether, 6 ether, 1);
        (bytes memory sa, bytes memory sb) = _sigs(twin);
        _expectStale(N, N);
        channel.disputeChannel(twin, sa, sb);
        assertEq(channel.disputedStateHash(), _hash(_s(N)), "first state kept");
    }

    function test_disputeChannel_revertsOnTheSameStateTwice() public {
        ChannelState memory s = _s(N);
        (bytes memory sa, bytes memory sb) = _sigs(s);
        channel.disputeChannel(s, sa, sb);
        _expectStale(N, N);
        channel.disputeChannel(s, sa, sb);
    }

    // ─── defund phase and after ──────────────────────────────────────────────────────────────────────────

    function test_disputeChannel_revertsAtTheStartOfTheDefundPhase() public {
        _dispute(_s(N));
        vm.warp(START + TIMEOUT);
        ChannelState memory newer = _s(N + 1);
        (bytes memory sa, bytes memory sb) = _sigs(newer);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.ChannelInDefundPhase.selector, START + 2 * TIMEOUT));
        channel.disputeChannel(newer, sa, sb);
    }

    function test_disputeChannel_revertsAtTheEndOfTheDefundPhase() public {
        _dispute(_s(N));
        vm.warp(START + 2 * TIMEOUT - 1);
        ChannelState memory newer = _s(N + 1);
        (bytes memory sa, bytes memory sb) = _sigs(newer);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.ChannelInDefundPhase.selector, START + 2 * TIMEOUT));
        channel.disputeChannel(newer, sa, sb);
        _assertRecord(N, START + TIMEOUT, START + 2 * TIMEOUT);
    }

    function test_disputeChannel_staleNonceIsReportedBeforeThePhase() public {
        _dispute(_s(N));
        vm.warp(START + TIMEOUT);
        ChannelState memory older = _s(N - 1);
        (bytes memory sa, bytes memory sb) = _sigs(older);
        _expectStale(N - 1, N);
        channel.disputeChannel(older, sa, sb);
    }

    function test_disputeChannel_opensANewDisputeWhenTheDefundPhaseEnds() public {
        _dispute(_s(N));
        uint256 t = START + 2 * TIMEOUT;
        vm.warp(t);
        ChannelState memory newer = _withTimeout(_s(N + 1), 2 hours);
        (bytes memory sa, bytes memory sb) = _sigs(newer);
        bytes32 h = _hash(newer);
        vm.expectEmit(address(channel));
        emit IAdjudicator.ChannelDisputed(N + 1, h, t + 2 hours, t + 4 hours);
        channel.disputeChannel(newer, sa, sb);
        _assertRecord(N + 1, t + 2 hours, t + 4 hours);
    }

    function test_disputeChannel_reopensTheSameStateOnceItsDisputeIsOver() public {
        ChannelState memory s = _s(N);
        _dispute(s);
        uint256 t = START + 30 days;
        vm.warp(t);
        (bytes memory sa, bytes memory sb) = _sigs(s);
        bytes32 h = _hash(s);
        vm.expectEmit(address(channel));
        emit IAdjudicator.ChannelDisputed(N, h, t + TIMEOUT, t + 2 * TIMEOUT);
        vm.prank(bob);
        channel.disputeChannel(s, sa, sb);
        _assertRecord(N, t + TIMEOUT, t + 2 * TIMEOUT);
        // Re-opened, it is an ordinary dispute again: equal nonce is stale in its consensus phase...
        _expectStale(N, N);
        channel.disputeChannel(s, sa, sb);
        // ...and refused in its defund phase.
        vm.warp(t + TIMEOUT);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.ChannelInDefundPhase.selector, t + 2 * TIMEOUT));
        channel.disputeChannel(s, sa, sb);
    }

    function test_disputeChannel_reopenIsRefusedToAStranger() public {
        ChannelState memory s = _s(N);
        _dispute(s);
        vm.warp(START + 2 * TIMEOUT);
        (bytes memory sa, bytes memory sb) = _sigs(s);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.NotAParty.selector, eve));
        vm.prank(eve);
        channel.disputeChannel(s, sa, sb);
        _assertRecord(N, START + TIMEOUT, START + 2 * TIMEOUT);
        // A newer state is still anyone's to dispute (a watcher), and either party may re-open.
        vm.prank(alice);
        channel.disputeChannel(s, sa, sb);
        _assertRecord(N, START + 2 * TIMEOUT + TIMEOUT, START + 2 * TIMEOUT + 2 * TIMEOUT);
        vm.warp(START + 4 * TIMEOUT);
        ChannelState memory newer = _s(N + 1);
        (bytes memory na, bytes memory nb) = _sigs(newer);
        vm.prank(eve);
        channel.disputeChannel(newer, na, nb);
        assertEq(_record().nonce, N + 1, "a stranger disputes a newer state");
    }

    function test_disputeChannel_revertsOnALowerNonceAfterTheDefundPhase() public {
        _dispute(_s(N));
        vm.warp(START + 30 days);
        ChannelState memory older = _s(N - 1);
        (bytes memory sa, bytes memory sb) = _sigs(older);
        _expectStale(N - 1, N);
        channel.disputeChannel(older, sa, sb);
        _assertRecord(N, START + TIMEOUT, START + 2 * TIMEOUT);
    }

    /// @dev BUG (minor): re-opening is meant for the disputed state itself ("its own state may be disputed again"),
    ///      but any state carrying the recorded nonce is accepted, so a second state both parties signed at the same
    ///      nonce (a client bug, a race between two updates) can replace the one that was disputed and defunded.
    function test_disputeChannel_reopenAcceptsOnlyTheDisputedState() public {
        _dispute(_s(N));
        vm.warp(START + 2 * TIMEOUT);
        ChannelState memory twin = _ethState(N, 0, 16 ether, 10 ether, 6 ether, 1);
        (bytes memory sa, bytes memory sb) = _sigs(twin);
        vm.prank(bob);
        (bool ok, ) = address(channel).call(abi.encodeCall(IAdjudicator.disputeChannel, (twin, sa, sb)));
        assertTrue(!ok, "BUG: another state with the recorded nonce re-opened the dispute");
        assertEq(channel.disputedStateHash(), _hash(_s(N)), "disputed state kept");
    }

    function testFuzz_disputeChannel_followsThePhases(uint256 elapsed, uint256 timeout) public {
        timeout = bound(timeout, MIN_TIMEOUT, MAX_TIMEOUT);
        elapsed = bound(elapsed, 0, 3 * MAX_TIMEOUT);
        _dispute(_withTimeout(_s(N), timeout));
        vm.warp(START + elapsed);
        ChannelState memory newer = _withTimeout(_s(N + 1), timeout);
        (bytes memory sa, bytes memory sb) = _sigs(newer);
        if (elapsed < timeout) {
            channel.disputeChannel(newer, sa, sb);
            _assertRecord(N + 1, START + timeout, START + 2 * timeout);
        } else if (elapsed < 2 * timeout) {
            vm.expectRevert(abi.encodeWithSelector(IAdjudicator.ChannelInDefundPhase.selector, START + 2 * timeout));
            channel.disputeChannel(newer, sa, sb);
            _assertRecord(N, START + timeout, START + 2 * timeout);
        } else {
            channel.disputeChannel(newer, sa, sb);
            _assertRecord(N + 1, START + elapsed + timeout, START + elapsed + 2 * timeout);
        }
    }

    function testFuzz_disputeChannel_nonceMustIncrease(uint64 first, uint64 second) public {
        vm.assume(first > 0);
        _dispute(_s(first));
        ChannelState memory next = _s(second);
        (bytes memory sa, bytes memory sb) = _sigs(next);
        if (second <= first) {
            _expectStale(second, first);
            channel.disputeChannel(next, sa, sb);
            assertEq(_record().nonce, first, "nonce kept");
        } else {
            channel.disputeChannel(next, sa, sb);
            assertEq(_record().nonce, second, "nonce raised");
        }
    }

    // ─── replay across chains, channels, deployments and commitment types ────────────────────────────────

    function test_disputeChannel_revertsOnAStateSignedForAnotherChain() public {
        ChannelState memory s = _s(N);
        (bytes memory sa, bytes memory sb) = _sigs(s); // signed for chain 31337
        uint256 home = block.chainid;
        vm.chainId(home + 1);
        _expectBadSig(alice);
        channel.disputeChannel(s, sa, sb);

        // And the other way round: signed on chain 1, submitted at home.
        vm.chainId(1);
        (sa, sb) = _sigs(s);
        vm.chainId(home);
        _expectBadSig(alice);
        channel.disputeChannel(s, sa, sb);
        _assertRecord(0, 0, 0);
    }

    function test_disputeChannel_revertsOnAStateSignedForAnotherChannelOfTheFactory() public {
        address other = factory.createChannel(alice, bob, keccak256("another channel"));
        ChannelState memory s = _s(N);
        bytes memory sa = _signStateFor(other, ALICE_KEY, s);
        bytes memory sb = _signStateFor(other, BOB_KEY, s);
        _expectBadSig(alice);
        channel.disputeChannel(s, sa, sb);
        // The same signatures are valid where they were meant to be.
        IChannel(other).disputeChannel(s, sa, sb);
        assertEq(IChannel(other).disputeRecord().nonce, N, "other channel disputed");
        _assertRecord(0, 0, 0);
    }

    function test_disputeChannel_revertsOnAStateSignedForTheSamePartiesInAnotherDeployment() public {
        ChannelFactory otherFactory = _newFactory(_defaultLimits(), MIN_TIMEOUT, MAX_TIMEOUT);
        address other = otherFactory.createChannel(alice, bob, SALT);
        assertTrue(other != address(channel), "distinct address");
        ChannelState memory s = _s(N);
        bytes memory sa = _signStateFor(other, ALICE_KEY, s);
        bytes memory sb = _signStateFor(other, BOB_KEY, s);
        _expectBadSig(alice);
        channel.disputeChannel(s, sa, sb);
        IChannel(other).disputeChannel(s, sa, sb);
        assertEq(IChannel(other).disputeRecord().nonce, N, "other deployment disputed");
    }

    function test_disputeChannel_revertsOnAFinalStateSignature() public {
        ChannelState memory s = _s(N);
        FinalState memory f = _final(N, s.assets[0]);
        bytes memory sa = _signFinal(ALICE_KEY, f);
        bytes memory sb = _signFinal(BOB_KEY, f);
        _expectBadSig(alice);
        channel.disputeChannel(s, sa, sb);
    }

    function test_disputeChannel_revertsOnAWithdrawCommitmentSignature() public {
        ChannelState memory s = _s(N);
        WithdrawCommitment memory w = _withdrawCommitment(ETH, alice, 1 ether, N);
        bytes memory sa = _signWithdraw(ALICE_KEY, w);
        bytes memory sb = _signWithdraw(BOB_KEY, w);
        _expectBadSig(alice);
        channel.disputeChannel(s, sa, sb);
    }

    function test_disputeChannel_revertsOnResolutionAndExitSignatures() public {
        ChannelState memory s = _s(N);
        bytes32 h = _hash(s);
        bytes memory sa = _signResolution(ALICE_KEY, h, "");
        bytes memory sb = _signResolution(BOB_KEY, h, "");
        _expectBadSig(alice);
        channel.disputeChannel(s, sa, sb);
        sa = _signExit(ALICE_KEY, ETH, alice, N);
        sb = _signExit(BOB_KEY, ETH, bob, N);
        _expectBadSig(alice);
        channel.disputeChannel(s, sa, sb);
    }

    function test_disputeChannel_revertsOnARawStructHashSignature() public {
        // Signing the struct hash alone (no EIP-712 domain) must not pass.
        ChannelState memory s = _s(N);
        bytes32 h = _hash(s);
        bytes memory sa = signDigest(ALICE_KEY, h);
        bytes memory sb = signDigest(BOB_KEY, h);
        _expectBadSig(alice);
        channel.disputeChannel(s, sa, sb);
    }

    // ─── malformed signatures ────────────────────────────────────────────────────────────────────────────

    function _split(bytes memory sig) internal pure returns (bytes32 r, bytes32 s, uint8 v) {
        assembly ("memory-safe") {
            r := mload(add(sig, 0x20))
            s := mload(add(sig, 0x40))
            v := byte(0, mload(add(sig, 0x60)))
        }
    }

    /// @dev The malleable twin (r, n - s, v ^ 1) of a valid signature: recovers the same signer with a high s.
    function _highS(bytes memory sig) internal pure returns (bytes memory) {
        (bytes32 r, bytes32 s, uint8 v) = _split(sig);
        return abi.encodePacked(r, bytes32(SECP256K1_N - uint256(s)), v == 27 ? uint8(28) : uint8(27));
    }

    function test_disputeChannel_revertsOnHighSAliceSignature() public {
        ChannelState memory s = _s(N);
        (bytes memory sa, bytes memory sb) = _sigs(s);
        bytes memory high = _highS(sa);
        // The twin really recovers to alice with plain ecrecover: only the low-s rule rejects it.
        (bytes32 r, bytes32 hs, uint8 v) = _split(high);
        assertEq(ecrecover(hasher.channelStateDigest(address(channel), s), v, r, hs), alice, "malleable twin");
        _expectBadSig(alice);
        channel.disputeChannel(s, high, sb);
    }

    function test_disputeChannel_revertsOnHighSBobSignature() public {
        ChannelState memory s = _s(N);
        (bytes memory sa, bytes memory sb) = _sigs(s);
        bytes memory high = _highS(sb);
        _expectBadSig(bob);
        channel.disputeChannel(s, sa, high);
    }

    function test_disputeChannel_revertsOnZeroSignatures() public {
        ChannelState memory s = _s(N);
        (, bytes memory sb) = _sigs(s);
        _expectBadSig(alice);
        channel.disputeChannel(s, new bytes(65), sb);
    }

    function test_disputeChannel_revertsOnAZeroRecoveringSignature() public {
        // v = 29 is invalid and ecrecover returns address(0); no party is address(0) anyway.
        ChannelState memory s = _s(N);
        (bytes memory sa, bytes memory sb) = _sigs(s);
        (bytes32 r, bytes32 hs, ) = _split(sa);
        _expectBadSig(alice);
        channel.disputeChannel(s, abi.encodePacked(r, hs, uint8(29)), sb);
    }

    function test_disputeChannel_revertsOnEmptySignatures() public {
        ChannelState memory s = _s(N);
        (bytes memory sa, ) = _sigs(s);
        _expectBadSig(alice);
        channel.disputeChannel(s, "", "");
        _expectBadSig(bob);
        channel.disputeChannel(s, sa, "");
    }

    function test_disputeChannel_revertsOnGarbageSignature() public {
        ChannelState memory s = _s(N);
        (, bytes memory sb) = _sigs(s);
        bytes memory garbage = abi.encodePacked(keccak256("r"), keccak256("s"), uint8(27));
        _expectBadSig(alice);
        channel.disputeChannel(s, garbage, sb);
    }

    function test_disputeChannel_revertsOnCompactAndPaddedSignatures() public {
        ChannelState memory s = _s(N);
        (bytes memory sa, bytes memory sb) = _sigs(s);
        (bytes32 r, bytes32 hs, uint8 v) = _split(sa);
        // EIP-2098 compact form (64 bytes) of alice's valid signature.
        bytes32 vs = bytes32(uint256(hs) | (uint256(v - 27) << 255));
        _expectBadSig(alice);
        channel.disputeChannel(s, abi.encodePacked(r, vs), sb);
        // 66 bytes: a valid signature with a trailing byte.
        _expectBadSig(alice);
        channel.disputeChannel(s, abi.encodePacked(sa, uint8(0)), sb);
        // 64 bytes: r and s without v.
        _expectBadSig(alice);
        channel.disputeChannel(s, abi.encodePacked(r, hs), sb);
    }

    function test_disputeChannel_revertsOnSwappedSignatures() public {
        ChannelState memory s = _s(N);
        (bytes memory sa, bytes memory sb) = _sigs(s);
        _expectBadSig(alice);
        channel.disputeChannel(s, sb, sa);
        _expectBadSig(bob);
        channel.disputeChannel(s, sa, sa);
    }

    function test_disputeChannel_revertsOnAStrangersSignature() public {
        ChannelState memory s = _s(N);
        (bytes memory sa, ) = _sigs(s);
        bytes memory se = _signState(EVE_KEY, s);
        _expectBadSig(bob);
        channel.disputeChannel(s, sa, se);
    }

    function test_disputeChannel_revertsOnATamperedState() public {
        ChannelState memory s = _s(N);
        (bytes memory sa, bytes memory sb) = _sigs(s);
        s.assets[0].balanceBob += 1;
        _expectBadSig(alice);
        channel.disputeChannel(s, sa, sb);
        s.assets[0].balanceBob -= 1;
        s.timeout += 1;
        _expectBadSig(alice);
        channel.disputeChannel(s, sa, sb);
        s.timeout -= 1;
        s.transfersRoot = bytes32(uint256(1));
        _expectBadSig(alice);
        channel.disputeChannel(s, sa, sb);
    }

    // ─── ERC-1271 parties ────────────────────────────────────────────────────────────────────────────────

    function test_disputeChannel_acceptsAnERC1271Alice() public {
        MockERC1271Wallet wallet = new MockERC1271Wallet(alice);
        IChannel ch = IChannel(factory.createChannel(address(wallet), bob, SALT));
        ChannelState memory s = _s(N);
        bytes memory sa = _signStateFor(address(ch), ALICE_KEY, s); // the wallet owner's key
        bytes memory sb = _signStateFor(address(ch), BOB_KEY, s);
        ch.disputeChannel(s, sa, sb);
        assertEq(ch.disputeRecord().nonce, N, "1271 dispute recorded");
        assertEq(ch.disputedStateHash(), _hash(s), "1271 state hash");
    }

    function test_disputeChannel_acceptsAnERC1271Bob() public {
        MockERC1271Wallet wallet = new MockERC1271Wallet(bob);
        IChannel ch = IChannel(factory.createChannel(alice, address(wallet), SALT));
        ChannelState memory s = _s(N);
        bytes memory sa = _signStateFor(address(ch), ALICE_KEY, s);
        bytes memory sb = _signStateFor(address(ch), BOB_KEY, s);
        ch.disputeChannel(s, sa, sb);
        assertEq(ch.disputeRecord().nonce, N, "1271 dispute recorded");
    }

    function test_disputeChannel_revertsWhenTheERC1271WalletRefuses() public {
        MockERC1271Wallet wallet = new MockERC1271Wallet(alice);
        IChannel ch = IChannel(factory.createChannel(address(wallet), bob, SALT));
        ChannelState memory s = _s(N);
        bytes memory wrong = _signStateFor(address(ch), EVE_KEY, s);
        bytes memory sb = _signStateFor(address(ch), BOB_KEY, s);
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.InvalidSignature.selector, address(wallet)));
        ch.disputeChannel(s, wrong, sb);
        // The owner's signature made for another channel is refused as well.
        bytes memory foreign = _signState(ALICE_KEY, s);
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.InvalidSignature.selector, address(wallet)));
        ch.disputeChannel(s, foreign, sb);
    }

    function test_disputeChannel_refutesWithERC1271Signatures() public {
        MockERC1271Wallet wallet = new MockERC1271Wallet(alice);
        IChannel ch = IChannel(factory.createChannel(address(wallet), bob, SALT));
        ChannelState memory s = _s(N);
        ch.disputeChannel(s, _signStateFor(address(ch), ALICE_KEY, s), _signStateFor(address(ch), BOB_KEY, s));
        vm.warp(START + 1 hours);
        ChannelState memory newer = _s(N + 1);
        bytes memory sa = _signStateFor(address(ch), ALICE_KEY, newer);
        bytes memory sb = _signStateFor(address(ch), BOB_KEY, newer);
        ch.disputeChannel(newer, sa, sb);
        IAdjudicator.DisputeRecord memory r = ch.disputeRecord();
        assertEq(r.nonce, N + 1, "refuted");
        assertEq(r.consensusExpiry, START + TIMEOUT, "not extended");
    }

    // ─── closeChannel against the dispute record ─────────────────────────────────────────────────────────

    function test_closeChannel_duringConsensusEndsTheDispute() public {
        ChannelState memory s = _s(N);
        _dispute(s);
        vm.warp(START + 1 hours);
        uint256 aliceBefore = alice.balance;
        uint256 bobBefore = bob.balance;
        _close(_final(N + 1, _asset(ETH, 4 ether, 12 ether, 10 ether, 6 ether, 1)));
        _assertRecord(N + 1, 0, 0);
        assertEq(alice.balance - aliceBefore, 4 ether, "alice closed");
        assertEq(bob.balance - bobBefore, 12 ether, "bob closed");
        // The disputed state can no longer be defunded, nor re-disputed.
        vm.warp(START + TIMEOUT);
        vm.expectRevert(IAdjudicator.NoDispute.selector);
        channel.defundChannel(s, _only(ETH));
        (bytes memory sa, bytes memory sb) = _sigs(s);
        _expectStale(N, N + 1);
        channel.disputeChannel(s, sa, sb);
        _assertLedger(ETH);
    }

    function test_closeChannel_revertsInTheDefundPhase() public {
        _dispute(_s(N));
        vm.warp(START + TIMEOUT);
        FinalState memory f = _final(N + 1, _asset(ETH, 4 ether, 12 ether, 10 ether, 6 ether, 1));
        bytes memory sa = _signFinal(ALICE_KEY, f);
        bytes memory sb = _signFinal(BOB_KEY, f);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.ChannelInDefundPhase.selector, START + 2 * TIMEOUT));
        channel.closeChannel(f, sa, sb);
        vm.warp(START + 2 * TIMEOUT - 1);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.ChannelInDefundPhase.selector, START + 2 * TIMEOUT));
        channel.closeChannel(f, sa, sb);
    }

    function test_closeChannel_afterTheDefundPhaseNeedsAHigherNonce() public {
        _dispute(_s(N));
        vm.warp(START + 2 * TIMEOUT);
        FinalState memory stale = _final(N, _asset(ETH, 4 ether, 12 ether, 10 ether, 6 ether, 1));
        bytes memory sa = _signFinal(ALICE_KEY, stale);
        bytes memory sb = _signFinal(BOB_KEY, stale);
        _expectStale(N, N);
        channel.closeChannel(stale, sa, sb);
        _close(_final(N + 1, _asset(ETH, 4 ether, 12 ether, 10 ether, 6 ether, 1)));
        _assertRecord(N + 1, 0, 0);
        assertEq(address(channel).balance, 0, "closed out");
        _assertLedger(ETH);
    }

    function test_disputeChannel_afterACloseNeedsAHigherNonceAndOpensAFreshDispute() public {
        _close(_final(N, _asset(ETH, 4 ether, 12 ether, 10 ether, 6 ether, 1)));
        ChannelState memory same = _s(N);
        (bytes memory sa, bytes memory sb) = _sigs(same);
        _expectStale(N, N);
        channel.disputeChannel(same, sa, sb);
        vm.warp(START + 5);
        _dispute(_ethState(N + 1, 0, 0, 10 ether, 6 ether, 2));
        _assertRecord(N + 1, START + 5 + TIMEOUT, START + 5 + 2 * TIMEOUT);
    }

    // ─── every signed field is bound (independent digest) ────────────────────────────────────────────────

    function _refSigs(ChannelState memory s) internal view returns (bytes memory sa, bytes memory sb) {
        bytes32 d = ReferenceHashing.channelStateDigest(address(channel), s);
        sa = signDigest(ALICE_KEY, d);
        sb = signDigest(BOB_KEY, d);
    }

    function _twoAssetState() internal view returns (ChannelState memory s) {
        s = _state2(
            N,
            _asset(ETH, 7 ether, 9 ether, 10 ether, 6 ether, 3),
            _asset(address(token), 1e18, 2e18, 3e18, 4e18, 5)
        );
        s.transfersRoot = keccak256("root");
    }

    /// @dev A copy of `s` with field `k` changed: 0 nonce, 1 timeout, 2 transfersRoot, then per asset (second
    ///      asset) 3 asset, 4 balanceAlice, 5 balanceBob, 6 processedAlice, 7 processedBob, 8 defundNonce.
    function _tampered(ChannelState memory s, uint256 k) internal pure returns (ChannelState memory t) {
        t.nonce = s.nonce + (k == 0 ? 1 : 0);
        t.timeout = s.timeout + (k == 1 ? 1 : 0);
        t.transfersRoot = k == 2 ? bytes32(uint256(s.transfersRoot) ^ 1) : s.transfersRoot;
        t.assets = new AssetState[](s.assets.length);
        for (uint256 i = 0; i < s.assets.length; ++i) t.assets[i] = s.assets[i];
        AssetState memory a = s.assets[1];
        t.assets[1] = AssetState(
            k == 3 ? address(uint160(a.asset) ^ 1) : a.asset,
            a.balanceAlice + (k == 4 ? 1 : 0),
            a.balanceBob + (k == 5 ? 1 : 0),
            a.processedAlice + (k == 6 ? 1 : 0),
            a.processedBob + (k == 7 ? 1 : 0),
            a.defundNonce + (k == 8 ? 1 : 0)
        );
    }

    function test_disputeChannel_bindsEveryFieldOfTheStateItsPartiesSigned() public {
        // Signed over the test's own EIP-712 encoding: a field dropped from (or moved in) the contract's hash makes
        // the honest dispute fail, and every changed field (defund nonce and processed deposits included) fails.
        ChannelState memory s = _twoAssetState();
        (bytes memory sa, bytes memory sb) = _refSigs(s);
        for (uint256 k = 0; k < 9; ++k) {
            _expectBadSig(alice);
            channel.disputeChannel(_tampered(s, k), sa, sb);
        }
        channel.disputeChannel(s, sa, sb);
        assertEq(channel.disputedStateHash(), _hash(s), "the signed state is disputed");
        assertEq(channel.disputedStateHash(), _refStructHash(s), "the contract's struct hash is the reference one");
    }

    function _refStructHash(ChannelState memory s) internal pure returns (bytes32) {
        bytes32 typehash = keccak256(
            abi.encodePacked(
                "ChannelState(uint256 nonce,uint256 timeout,bytes32 transfersRoot,AssetState[] assets)",
                ReferenceHashing.ASSET_STATE
            )
        );
        return
            keccak256(abi.encode(typehash, s.nonce, s.timeout, s.transfersRoot, ReferenceHashing.assetsHash(s.assets)));
    }
}
