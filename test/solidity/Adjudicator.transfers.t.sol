// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IAdjudicator} from "../../contracts/interfaces/IAdjudicator.sol";
import {IChannel} from "../../contracts/interfaces/IChannel.sol";
import {IChannelCore} from "../../contracts/interfaces/IChannelCore.sol";
import {GasBurningResolver} from "../../contracts/test/mocks/GasBurningResolver.sol";
import {OverpayingResolver} from "../../contracts/test/mocks/OverpayingResolver.sol";
import {RevertingReceiver} from "../../contracts/test/mocks/RevertingReceiver.sol";
import {RevertingResolver} from "../../contracts/test/mocks/RevertingResolver.sol";
import {StateChangingResolver} from "../../contracts/test/mocks/StateChangingResolver.sol";
import {ChannelState} from "../../contracts/types/ChannelTypes.sol";
import {Transfer} from "../../contracts/types/TransferTypes.sol";
import {DisputeFixture, SigningWallet} from "./utils/DisputeFixture.sol";
import {ReferenceHashing} from "./utils/ReferenceHashing.sol";

/// @title Adjudicator transfer tests
/// @notice disputeTransfer and defundTransfer: phases, merkle proofs (forged, shortened, inner nodes, depths 1 and
///         10), transfer identity, responder evidence and watchtower signatures, hashlock and signed resolvers,
///         adversarial resolvers, deadlines, and exact balances.
contract AdjudicatorTransfersTest is DisputeFixture {
    uint256 internal constant N = 5;
    uint256 internal constant DEP = 10 ether;
    uint256 internal constant AMOUNT = 3 ether; // t1: alice -> bob
    uint256 internal constant AMOUNT2 = 2 ether; // t2: bob -> alice
    uint256 internal constant T_TIMEOUT = 2 days;
    bytes32 internal constant PREIMAGE = keccak256("switchyard preimage");
    bytes32 internal constant PREIMAGE2 = keccak256("second preimage");

    uint256 internal expiry;

    function setUp() public override {
        super.setUp();
        _depositAliceEth(DEP);
        _depositBobEth(DEP);
        expiry = START + 10 days;
    }

    // ─── builders ────────────────────────────────────────────────────────────────────────────────────────

    function _t1() internal view returns (Transfer memory) {
        return _hashlockTransfer(AMOUNT, alice, bob, PREIMAGE, expiry, T_TIMEOUT, bytes32(uint256(1)));
    }

    function _t2() internal view returns (Transfer memory) {
        return _hashlockTransfer(AMOUNT2, bob, alice, PREIMAGE2, expiry, T_TIMEOUT, bytes32(uint256(2)));
    }

    /// @dev A state locking `t` (taken from its initiator's balance) alone: its root is its leaf.
    function _stateWith(Transfer memory t) internal view returns (ChannelState memory) {
        uint256 a = t.initiator == alice ? DEP - t.amount : DEP;
        uint256 b = t.initiator == bob ? DEP - t.amount : DEP;
        return _stateWithRoot(N, _leaf(t), _asset(ETH, a, b, DEP, DEP, 1));
    }

    function _leaves2() internal view returns (bytes32[] memory leaves) {
        leaves = new bytes32[](2);
        leaves[0] = _leaf(_t1());
        leaves[1] = _leaf(_t2());
    }

    /// @dev The state locking t1 and t2 (proof depth 1): alice 7, bob 8, 5 locked.
    function _state12() internal view returns (ChannelState memory) {
        return _stateWithRoot(N, _root(_leaves2()), _asset(ETH, DEP - AMOUNT, DEP - AMOUNT2, DEP, DEP, 1));
    }

    /// @dev Disputes `s`, moves to its defund phase and disputes `t` with `proof`.
    function _toSettlement(ChannelState memory s, Transfer memory t, bytes32[] memory proof) internal {
        _disputeToDefund(s);
        channel.disputeTransfer(s, t, proof);
    }

    function _single(Transfer memory t) internal {
        _toSettlement(_stateWith(t), t, _noProof());
    }

    function _deadline(Transfer memory t) internal view returns (uint256) {
        return channel.transferRecord(_id(t)).settleDeadline;
    }

    function _evidence(bytes32 preimage) internal pure returns (bytes memory) {
        return abi.encode(preimage);
    }

    function _expectFailed(address resolver) internal {
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.ResolverFailed.selector, resolver));
    }

    // ─── disputeTransfer: phases and state ───────────────────────────────────────────────────────────────

    function test_disputeTransfer_opensTheSettlementWindow() public {
        ChannelState memory s = _state12();
        Transfer memory t = _t1();
        bytes32[] memory proof = _proof(_leaves2(), 0);
        assertEq(proof.length, 1, "depth 1");
        _disputeToDefund(s);
        bytes32 id = _id(t);
        uint256 deadline = START + TIMEOUT + T_TIMEOUT;
        vm.expectEmit(address(channel));
        emit IAdjudicator.TransferDisputed(id, deadline);
        vm.prank(eve); // anyone may dispute a transfer
        channel.disputeTransfer(s, t, proof);
        IAdjudicator.TransferRecord memory r = channel.transferRecord(id);
        assertEq(r.settleDeadline, deadline, "deadline");
        assertTrue(!r.settled, "not settled");
        assertEq(address(channel).balance, 2 * DEP, "no funds moved");
    }

    function test_disputeTransfer_revertsWithoutDispute() public {
        ChannelState memory s = _stateWith(_t1());
        Transfer memory t = _t1();
        vm.expectRevert(IAdjudicator.NoDispute.selector);
        channel.disputeTransfer(s, t, _noProof());
    }

    function test_disputeTransfer_revertsDuringTheConsensusPhase() public {
        ChannelState memory s = _stateWith(_t1());
        Transfer memory t = _t1();
        _dispute(s);
        bytes memory err = abi.encodeWithSelector(
            IAdjudicator.NotInDefundPhase.selector,
            START + TIMEOUT,
            START + 2 * TIMEOUT
        );
        vm.expectRevert(err);
        channel.disputeTransfer(s, t, _noProof());
        vm.warp(START + TIMEOUT - 1);
        vm.expectRevert(err);
        channel.disputeTransfer(s, t, _noProof());
    }

    function test_disputeTransfer_worksAtTheLastSecondOfTheDefundPhase() public {
        ChannelState memory s = _stateWith(_t1());
        Transfer memory t = _t1();
        _dispute(s);
        vm.warp(START + 2 * TIMEOUT - 1);
        channel.disputeTransfer(s, t, _noProof());
        assertEq(_deadline(t), START + 2 * TIMEOUT - 1 + T_TIMEOUT, "deadline from the dispute time");
    }

    function test_disputeTransfer_revertsAfterTheDefundPhase() public {
        ChannelState memory s = _stateWith(_t1());
        Transfer memory t = _t1();
        _dispute(s);
        vm.warp(START + 2 * TIMEOUT);
        vm.expectRevert(
            abi.encodeWithSelector(IAdjudicator.NotInDefundPhase.selector, START + TIMEOUT, START + 2 * TIMEOUT)
        );
        channel.disputeTransfer(s, t, _noProof());
    }

    function test_disputeTransfer_revertsOnAnotherState() public {
        ChannelState memory s = _stateWith(_t1());
        Transfer memory t = _t1();
        _disputeToDefund(s);
        ChannelState memory other = _stateWith(_t1());
        other.assets[0].balanceAlice += 1;
        bytes32 given = hasher.hashChannelState(other);
        bytes32 disputed = hasher.hashChannelState(s);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.StateMismatch.selector, given, disputed));
        channel.disputeTransfer(other, t, _noProof());
    }

    function test_disputeTransfer_revertsForATransferOfTheRefutedState() public {
        ChannelState memory old = _stateWith(_t1());
        Transfer memory t = _t1();
        _dispute(old);
        // The transfer was resolved off-chain: the newer state has no transfers and pays bob.
        _dispute(_ethState(N + 1, DEP - AMOUNT, DEP + AMOUNT, DEP, DEP, 1));
        _warpToDefundPhase();
        bytes32 oldHash = hasher.hashChannelState(old);
        bytes32 disputed = channel.disputedStateHash();
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.StateMismatch.selector, oldHash, disputed));
        channel.disputeTransfer(old, t, _noProof());
    }

    // ─── disputeTransfer: identity and proofs ────────────────────────────────────────────────────────────

    function test_disputeTransfer_revertsOnATransferOfAnotherChannel() public {
        Transfer memory t = _t1();
        t.channel = factory.createChannel(alice, bob, keccak256("other"));
        // Both parties even committed to it in this channel's root: it still names another channel.
        ChannelState memory s = _stateWith(t);
        bytes32 id = _id(t);
        _disputeToDefund(s);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.InvalidTransfer.selector, id));
        channel.disputeTransfer(s, t, _noProof());
    }

    function test_disputeTransfer_revertsOnAStrangerParty() public {
        Transfer memory t = _t1();
        t.responder = eve;
        ChannelState memory s = _stateWith(t);
        bytes32 id = _id(t);
        _disputeToDefund(s);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.InvalidTransfer.selector, id));
        channel.disputeTransfer(s, t, _noProof());
    }

    function test_disputeTransfer_revertsOnAPartyPayingItself() public {
        Transfer memory t = _t1();
        t.responder = alice;
        ChannelState memory s = _stateWith(t);
        bytes32 id = _id(t);
        _disputeToDefund(s);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.InvalidTransfer.selector, id));
        channel.disputeTransfer(s, t, _noProof());
    }

    function test_disputeTransfer_revertsOnAForgedSibling() public {
        ChannelState memory s = _state12();
        Transfer memory t = _t1();
        _disputeToDefund(s);
        bytes32 id = _id(t);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.InvalidMerkleProof.selector, id));
        channel.disputeTransfer(s, t, _one(keccak256("forged")));
    }

    function test_disputeTransfer_revertsOnATamperedTransfer() public {
        ChannelState memory s = _state12();
        Transfer memory t = _t1();
        bytes32[] memory proof = _proof(_leaves2(), 0);
        _disputeToDefund(s);
        t.amount = AMOUNT + 1; // bob tries to claim more than was locked
        bytes32 id = _id(t);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.InvalidMerkleProof.selector, id));
        channel.disputeTransfer(s, t, proof);
        t.amount = AMOUNT;
        t.timeout = 7 days;
        id = _id(t);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.InvalidMerkleProof.selector, id));
        channel.disputeTransfer(s, t, proof);
    }

    function test_disputeTransfer_revertsOnATransferNotInTheRoot() public {
        ChannelState memory s = _state12();
        Transfer memory t = _hashlockTransfer(1 ether, alice, bob, PREIMAGE, expiry, T_TIMEOUT, keccak256("new"));
        bytes32[] memory proof = _proof(_leaves2(), 0);
        bytes32 id = _id(t);
        _disputeToDefund(s);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.InvalidMerkleProof.selector, id));
        channel.disputeTransfer(s, t, proof);
    }

    function test_disputeTransfer_revertsOnAnEmptyRoot() public {
        ChannelState memory s = _ethState(N, DEP, DEP, DEP, DEP, 1);
        Transfer memory t = _t1();
        bytes32 id = _id(t);
        _disputeToDefund(s);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.InvalidMerkleProof.selector, id));
        channel.disputeTransfer(s, t, _noProof());
    }

    function _leaves4() internal view returns (bytes32[] memory leaves) {
        leaves = new bytes32[](4);
        leaves[0] = _leaf(_t1());
        leaves[1] = _leaf(_t2());
        leaves[2] = keccak256("leaf 2");
        leaves[3] = keccak256("leaf 3");
    }

    function test_disputeTransfer_revertsOnShortenedAndExtendedProofs() public {
        bytes32[] memory leaves = _leaves4();
        ChannelState memory s = _stateWithRoot(N, _root(leaves), _asset(ETH, 7 ether, 8 ether, DEP, DEP, 1));
        Transfer memory t = _t1();
        bytes32[] memory full = _proof(leaves, 0);
        assertEq(full.length, 2, "depth 2");
        bytes32 id = _id(t);
        _disputeToDefund(s);

        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.InvalidMerkleProof.selector, id));
        channel.disputeTransfer(s, t, _one(full[0]));
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.InvalidMerkleProof.selector, id));
        channel.disputeTransfer(s, t, _one(full[1]));
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.InvalidMerkleProof.selector, id));
        channel.disputeTransfer(s, t, _noProof());
        bytes32[] memory longer = new bytes32[](3);
        longer[0] = full[0];
        longer[1] = full[1];
        longer[2] = keccak256("extra");
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.InvalidMerkleProof.selector, id));
        channel.disputeTransfer(s, t, longer);

        channel.disputeTransfer(s, t, full);
        assertEq(_deadline(t), START + TIMEOUT + T_TIMEOUT, "the full proof works");
    }

    function test_disputeTransfer_revertsOnAnInnerNodePresentedAsALeaf() public {
        bytes32[] memory leaves = _leaves4();
        bytes32 root = _root(leaves);
        ChannelState memory s = _stateWithRoot(N, root, _asset(ETH, 7 ether, 8 ether, DEP, DEP, 1));
        bytes32 inner = _hashPair(leaves[0], leaves[1]);
        bytes32 other = _hashPair(leaves[2], leaves[3]);
        assertEq(_hashPair(inner, other), root, "inner node + one sibling reaches the root");
        Transfer memory t = _t1();
        bytes32 id = _id(t);
        _disputeToDefund(s);
        // Proving t1 one level up (as if its leaf were the inner node) fails: the channel hashes its own leaf.
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.InvalidMerkleProof.selector, id));
        channel.disputeTransfer(s, t, _one(other));
    }

    function test_disputeTransfer_revertsOnARootOfRawTransferIds() public {
        // A root built over raw ids (no leaf hashing, the second-preimage-prone layout) is not accepted.
        bytes32[] memory raw = new bytes32[](2);
        raw[0] = _id(_t1());
        raw[1] = _id(_t2());
        ChannelState memory s = _stateWithRoot(N, _root(raw), _asset(ETH, 7 ether, 8 ether, DEP, DEP, 1));
        Transfer memory t = _t1();
        bytes32 id = raw[0];
        _disputeToDefund(s);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.InvalidMerkleProof.selector, id));
        channel.disputeTransfer(s, t, _one(raw[1]));
    }

    function test_disputeTransfer_leafIsTheHashOfTheId() public view {
        Transfer memory t = _t1();
        bytes32 id = keccak256(abi.encode(t));
        assertEq(_id(t), id, "transfer id is keccak256(abi.encode(transfer))");
        assertEq(_leaf(t), keccak256(abi.encode(id)), "leaf is keccak256(abi.encode(id))");
    }

    function test_disputeTransfer_revertsOnADoubleDispute() public {
        ChannelState memory s = _state12();
        Transfer memory t = _t1();
        bytes32[] memory proof = _proof(_leaves2(), 0);
        _toSettlement(s, t, proof);
        vm.warp(block.timestamp + 1 hours);
        bytes32 id = _id(t);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.TransferAlreadyDisputed.selector, id));
        channel.disputeTransfer(s, t, proof);
        assertEq(_deadline(t), START + TIMEOUT + T_TIMEOUT, "deadline not moved");
    }

    function test_disputeTransfer_capsTheWindowAtTheMaximumTimeout() public {
        Transfer memory t = _hashlockTransfer(AMOUNT, alice, bob, PREIMAGE, expiry, 365 days, bytes32(0));
        _single(t);
        assertEq(_deadline(t), START + TIMEOUT + MAX_TIMEOUT, "capped window");
        Transfer memory huge = _hashlockTransfer(1, alice, bob, PREIMAGE, expiry, type(uint256).max, bytes32(0));
        vm.warp(START + 2 * TIMEOUT); // a second dispute for the second transfer
        _disputeToDefund(_stateWithRoot(N + 1, _leaf(huge), _asset(ETH, DEP - AMOUNT - 1, DEP, DEP, DEP, 1)));
        channel.disputeTransfer(
            _stateWithRoot(N + 1, _leaf(huge), _asset(ETH, DEP - AMOUNT - 1, DEP, DEP, DEP, 1)),
            huge,
            _noProof()
        );
        assertEq(_deadline(huge), block.timestamp + MAX_TIMEOUT, "huge timeout capped");
    }

    function test_disputeTransfer_aTransferNobodyDisputedInTimeIsDisputedAfterReopening() public {
        ChannelState memory s = _state12();
        Transfer memory t = _t1();
        bytes32[] memory proof = _proof(_leaves2(), 0);
        _dispute(s);
        vm.warp(START + 2 * TIMEOUT);
        vm.expectRevert(
            abi.encodeWithSelector(IAdjudicator.NotInDefundPhase.selector, START + TIMEOUT, START + 2 * TIMEOUT)
        );
        channel.disputeTransfer(s, t, proof);
        _reopenToDefund(s); // the same state re-opens a dispute
        channel.disputeTransfer(s, t, proof);
        uint256 b0 = bob.balance;
        vm.prank(bob);
        channel.defundTransfer(t, _evidence(PREIMAGE), "");
        assertEq(bob.balance, b0 + AMOUNT, "settled after re-opening");
        // A transfer already disputed is not disputed again by re-opening.
        vm.warp(_record().defundExpiry);
        _reopenToDefund(s);
        bytes32 id = _id(t);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.TransferAlreadyDisputed.selector, id));
        channel.disputeTransfer(s, t, proof);
        _assertLedger(ETH);
    }

    // ─── defundTransfer: hashlock ────────────────────────────────────────────────────────────────────────

    function test_defundTransfer_hashlockSettledByTheResponder() public {
        ChannelState memory s = _state12();
        Transfer memory t = _t1();
        _toSettlement(s, t, _proof(_leaves2(), 0));
        bytes32 id = _id(t);
        uint256 a0 = alice.balance;
        uint256 b0 = bob.balance;
        vm.expectEmit(address(channel));
        emit IAdjudicator.TransferSettled(id, AMOUNT, 0);
        vm.prank(bob);
        channel.defundTransfer(t, _evidence(PREIMAGE), "");
        assertEq(bob.balance, b0 + AMOUNT, "bob paid the locked amount");
        assertEq(alice.balance, a0, "alice gets nothing back");
        assertTrue(channel.transferRecord(id).settled, "settled");
        assertEq(channel.totalPaidOut(ETH), AMOUNT, "counted");
        _assertLedger(ETH);

        // The balances are defunded separately; t2 is refunded to bob after its deadline.
        channel.defundChannel(s, _only(ETH));
        assertEq(alice.balance, a0 + DEP - AMOUNT, "alice balance");
        assertEq(bob.balance, b0 + AMOUNT + DEP - AMOUNT2, "bob balance");
        channel.disputeTransfer(s, _t2(), _proof(_leaves2(), 1));
        vm.warp(_deadline(_t2()));
        vm.prank(eve);
        channel.defundTransfer(_t2(), "", "");
        assertEq(bob.balance, b0 + AMOUNT + DEP, "t2 refunded to bob");
        assertEq(address(channel).balance, 0, "channel emptied exactly");
        assertEq(channel.totalPaidOut(ETH), 2 * DEP, "all paid");
        _assertLedger(ETH);
    }

    function test_defundTransfer_settledByAWatchtowerWithTheResponderSignature() public {
        Transfer memory t = _t1();
        _single(t);
        bytes32 id = _id(t);
        bytes memory evidence = _evidence(PREIMAGE);
        bytes memory sig = _signResolution(BOB_KEY, id, evidence);
        uint256 b0 = bob.balance;
        vm.prank(eve);
        channel.defundTransfer(t, evidence, sig);
        assertEq(bob.balance, b0 + AMOUNT, "bob paid via the watchtower");
        assertEq(eve.balance, 10_000 ether, "watchtower gets nothing");
        _assertLedger(ETH);
    }

    function test_defundTransfer_responderMayAlsoPresentItsOwnSignature() public {
        Transfer memory t = _t1();
        _single(t);
        bytes memory evidence = _evidence(PREIMAGE);
        bytes memory sig = _signResolution(BOB_KEY, _id(t), evidence);
        uint256 b0 = bob.balance;
        vm.prank(bob);
        channel.defundTransfer(t, evidence, sig);
        assertEq(bob.balance, b0 + AMOUNT, "bob paid");
    }

    function test_defundTransfer_revertsForAStrangerWithoutSignature() public {
        Transfer memory t = _t1();
        _single(t);
        vm.prank(eve);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.NotResponder.selector, eve));
        channel.defundTransfer(t, _evidence(PREIMAGE), "");
        // Not even the initiator may settle before the deadline.
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.NotResponder.selector, alice));
        channel.defundTransfer(t, "", "");
        assertTrue(!channel.transferRecord(_id(t)).settled, "unsettled");
    }

    function test_defundTransfer_revertsOnABadResponderSignature() public {
        Transfer memory t = _t1();
        _single(t);
        bytes32 id = _id(t);
        bytes memory evidence = _evidence(PREIMAGE);
        bytes memory byEve = _signResolution(EVE_KEY, id, evidence);
        bytes memory otherData = _signResolution(BOB_KEY, id, _evidence(PREIMAGE2));
        bytes memory otherId = _signResolution(BOB_KEY, _id(_t2()), evidence);
        bytes memory byInitiator = _signResolution(ALICE_KEY, id, evidence);
        bytes memory otherChannel = signDigest(
            BOB_KEY,
            hasher.transferResolutionDigest(factory.channelAddress(alice, bob, keccak256("x")), id, evidence)
        );
        bytes memory err = abi.encodeWithSelector(IChannelCore.InvalidSignature.selector, bob);
        vm.startPrank(eve);
        vm.expectRevert(err);
        channel.defundTransfer(t, evidence, byEve);
        vm.expectRevert(err);
        channel.defundTransfer(t, evidence, otherData);
        vm.expectRevert(err);
        channel.defundTransfer(t, evidence, otherId);
        vm.expectRevert(err);
        channel.defundTransfer(t, evidence, byInitiator);
        vm.expectRevert(err);
        channel.defundTransfer(t, evidence, otherChannel);
        vm.stopPrank();
    }

    function test_defundTransfer_revertsOnAWrongPreimage() public {
        Transfer memory t = _t1();
        _single(t);
        vm.prank(bob);
        _expectFailed(address(hashlock));
        channel.defundTransfer(t, _evidence(PREIMAGE2), "");
        vm.prank(bob);
        _expectFailed(address(hashlock));
        channel.defundTransfer(t, "", "");
    }

    function test_defundTransfer_rejectsThePreimageAfterExpiryThenRefunds() public {
        // The lock expires one hour into the settlement window.
        uint256 lockExpiry = START + TIMEOUT + 1 hours;
        Transfer memory t = _hashlockTransfer(AMOUNT, alice, bob, PREIMAGE, lockExpiry, T_TIMEOUT, bytes32(0));
        _single(t);
        vm.warp(lockExpiry);
        vm.prank(bob);
        _expectFailed(address(hashlock));
        channel.defundTransfer(t, _evidence(PREIMAGE), "");
        // Before the deadline nobody else may refund.
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.NotResponder.selector, alice));
        channel.defundTransfer(t, "", "");
        // At the deadline anyone refunds the initiator.
        vm.warp(_deadline(t));
        uint256 a0 = alice.balance;
        uint256 b0 = bob.balance;
        bytes32 id = _id(t);
        vm.expectEmit(address(channel));
        emit IAdjudicator.TransferSettled(id, 0, AMOUNT);
        vm.prank(eve);
        channel.defundTransfer(t, "", "");
        assertEq(alice.balance, a0 + AMOUNT, "refunded");
        assertEq(bob.balance, b0, "bob nothing");
        _assertLedger(ETH);
    }

    function test_defundTransfer_atTheDeadlineEvenTheRightPreimageRefunds() public {
        Transfer memory t = _t1();
        _single(t);
        vm.warp(_deadline(t));
        uint256 a0 = alice.balance;
        uint256 b0 = bob.balance;
        vm.prank(bob);
        channel.defundTransfer(t, _evidence(PREIMAGE), "");
        assertEq(alice.balance, a0 + AMOUNT, "deadline passed: refund");
        assertEq(bob.balance, b0, "evidence ignored");
    }

    function test_defundTransfer_paysOneSecondBeforeTheDeadline() public {
        Transfer memory t = _t1();
        _single(t);
        vm.warp(_deadline(t) - 1);
        uint256 b0 = bob.balance;
        vm.prank(bob);
        channel.defundTransfer(t, _evidence(PREIMAGE), "");
        assertEq(bob.balance, b0 + AMOUNT, "paid in time");
    }

    function test_defundTransfer_bobToAliceDirection() public {
        ChannelState memory s = _state12();
        Transfer memory t = _t2();
        _toSettlement(s, t, _proof(_leaves2(), 1));
        uint256 a0 = alice.balance;
        vm.prank(alice);
        channel.defundTransfer(t, _evidence(PREIMAGE2), "");
        assertEq(alice.balance, a0 + AMOUNT2, "alice as responder paid");
        _assertLedger(ETH);
    }

    function test_defundTransfer_revertsWhenNotDisputed() public {
        Transfer memory t = _t1();
        bytes32 id = _id(t);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.TransferNotDisputed.selector, id));
        channel.defundTransfer(t, _evidence(PREIMAGE), "");
        // Disputing the channel alone is not enough.
        _disputeToDefund(_stateWith(t));
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.TransferNotDisputed.selector, id));
        channel.defundTransfer(t, _evidence(PREIMAGE), "");
    }

    function test_defundTransfer_revertsOnADoubleSettle() public {
        Transfer memory t = _t1();
        _single(t);
        bytes32 id = _id(t);
        vm.prank(bob);
        channel.defundTransfer(t, _evidence(PREIMAGE), "");
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.TransferAlreadySettled.selector, id));
        channel.defundTransfer(t, _evidence(PREIMAGE), "");
        vm.warp(_deadline(t));
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.TransferAlreadySettled.selector, id));
        channel.defundTransfer(t, "", "");
        assertEq(address(channel).balance, 2 * DEP - AMOUNT, "paid once");
        _assertLedger(ETH);
    }

    function test_defundTransfer_revertsOnASettleAfterTheRefund() public {
        Transfer memory t = _t1();
        _single(t);
        vm.warp(_deadline(t));
        channel.defundTransfer(t, "", "");
        bytes32 id = _id(t);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.TransferAlreadySettled.selector, id));
        channel.defundTransfer(t, _evidence(PREIMAGE), "");
    }

    function test_defundTransfer_settlesAfterTheChannelDefundPhase() public {
        Transfer memory t = _hashlockTransfer(AMOUNT, alice, bob, PREIMAGE, expiry, 5 days, bytes32(0));
        _single(t);
        vm.warp(START + 2 * TIMEOUT + 1 hours); // the channel's defund phase is over; the transfer's window is not
        uint256 b0 = bob.balance;
        vm.prank(bob);
        channel.defundTransfer(t, _evidence(PREIMAGE), "");
        assertEq(bob.balance, b0 + AMOUNT, "paid");
    }

    /// @dev Doubtful: a transfer whose timeout is zero can be refunded in the block it is disputed, so its
    ///      responder never gets a chance to settle on chain (the SDK must refuse to sign such transfers).
    function test_defundTransfer_zeroTimeoutRefundsAtOnce() public {
        Transfer memory t = _hashlockTransfer(AMOUNT, alice, bob, PREIMAGE, expiry, 0, bytes32(0));
        _single(t);
        assertEq(_deadline(t), block.timestamp, "deadline is now");
        uint256 a0 = alice.balance;
        vm.prank(bob);
        channel.defundTransfer(t, _evidence(PREIMAGE), "");
        assertEq(alice.balance, a0 + AMOUNT, "refunded despite the preimage");
    }

    function test_defundTransfer_responderThatRefusesEthGetsAnExit() public {
        Transfer memory t = _t1();
        _single(t);
        vm.etch(bob, address(new RevertingReceiver()).code);
        bytes32 id = _id(t);
        vm.expectEmit(address(channel));
        emit IAdjudicator.TransferSettled(id, AMOUNT, 0);
        vm.expectEmit(address(channel));
        emit IChannelCore.ExitRecorded(ETH, bob, AMOUNT);
        vm.prank(bob);
        channel.defundTransfer(t, _evidence(PREIMAGE), "");
        assertEq(channel.exitOf(ETH, bob), AMOUNT, "exit");
        assertEq(channel.totalPaidOut(ETH), 0, "nothing left the channel");
        _assertLedger(ETH);
        _assertExitsBacked(ETH);
    }

    // ─── signed transfer resolver ────────────────────────────────────────────────────────────────────────

    function _signedTransfer(uint256 amount) internal view returns (Transfer memory) {
        return _transfer(address(signedResolver), ETH, amount, alice, bob, T_TIMEOUT, bytes32(0), abi.encode(oracle));
    }

    function _outcome(bytes32 id, uint256 toResponder, uint256 key) internal view returns (bytes memory) {
        bytes memory outcomeData = "oracle: home team won";
        bytes memory sig = signDigest(key, signedResolver.outcomeDigest(id, toResponder, outcomeData));
        return abi.encode(toResponder, outcomeData, sig);
    }

    function test_defundTransfer_signedResolverPaysThePartialOutcome() public {
        Transfer memory t = _signedTransfer(4 ether);
        _single(t);
        bytes32 id = _id(t);
        bytes memory evidence = _outcome(id, 1.5 ether, ORACLE_KEY);
        uint256 a0 = alice.balance;
        uint256 b0 = bob.balance;
        vm.expectEmit(address(channel));
        emit IAdjudicator.TransferSettled(id, 1.5 ether, 2.5 ether);
        vm.prank(bob);
        channel.defundTransfer(t, evidence, "");
        assertEq(bob.balance, b0 + 1.5 ether, "responder share");
        assertEq(alice.balance, a0 + 2.5 ether, "rest to the initiator");
        assertEq(channel.totalPaidOut(ETH), 4 ether, "exactly the locked amount");
        _assertLedger(ETH);
    }

    function test_defundTransfer_signedResolverRejectsForgedOrExcessiveOutcomes() public {
        Transfer memory t = _signedTransfer(4 ether);
        _single(t);
        bytes32 id = _id(t);
        bytes memory byEve = _outcome(id, 4 ether, EVE_KEY);
        bytes memory tooMuch = _outcome(id, 5 ether, ORACLE_KEY);
        bytes memory otherId = _outcome(keccak256("other"), 4 ether, ORACLE_KEY);
        vm.startPrank(bob);
        _expectFailed(address(signedResolver));
        channel.defundTransfer(t, byEve, "");
        _expectFailed(address(signedResolver));
        channel.defundTransfer(t, tooMuch, "");
        _expectFailed(address(signedResolver));
        channel.defundTransfer(t, otherId, "");
        _expectFailed(address(signedResolver));
        channel.defundTransfer(t, hex"1234", "");
        vm.stopPrank();
        vm.warp(_deadline(t));
        uint256 a0 = alice.balance;
        channel.defundTransfer(t, "", "");
        assertEq(alice.balance, a0 + 4 ether, "refund after the deadline");
    }

    // ─── adversarial resolvers ───────────────────────────────────────────────────────────────────────────

    function _mockTransfer(address resolver) internal view returns (Transfer memory) {
        return _transfer(resolver, ETH, AMOUNT, alice, bob, T_TIMEOUT, bytes32(0), "");
    }

    function test_defundTransfer_overpayingResolverIsCappedAtTheAmount() public {
        Transfer memory t = _mockTransfer(address(new OverpayingResolver(true)));
        _single(t);
        bytes32 id = _id(t);
        uint256 a0 = alice.balance;
        uint256 b0 = bob.balance;
        vm.expectEmit(address(channel));
        emit IAdjudicator.TransferSettled(id, AMOUNT, 0);
        vm.prank(bob);
        channel.defundTransfer(t, "", "");
        assertEq(bob.balance, b0 + AMOUNT, "capped at the amount");
        assertEq(alice.balance, a0, "initiator nothing");
        assertEq(address(channel).balance, 2 * DEP - AMOUNT, "no more left the channel");
        _assertLedger(ETH);
    }

    function test_defundTransfer_doublingResolverIsCappedAtTheAmount() public {
        Transfer memory t = _mockTransfer(address(new OverpayingResolver(false)));
        _single(t);
        uint256 b0 = bob.balance;
        vm.prank(bob);
        channel.defundTransfer(t, "", "");
        assertEq(bob.balance, b0 + AMOUNT, "2x capped at 1x");
        assertEq(channel.totalPaidOut(ETH), AMOUNT, "paid out once");
    }

    function _assertBlockedThenRefunded(address resolver) internal {
        Transfer memory t = _mockTransfer(resolver);
        _single(t);
        vm.prank(bob);
        _expectFailed(resolver);
        channel.defundTransfer(t, "", "");
        vm.warp(_deadline(t));
        uint256 a0 = alice.balance;
        uint256 b0 = bob.balance;
        vm.prank(eve);
        channel.defundTransfer(t, "", "");
        assertEq(alice.balance, a0 + AMOUNT, "refunded to the initiator");
        assertEq(bob.balance, b0, "responder nothing");
        assertTrue(channel.transferRecord(_id(t)).settled, "settled");
        _assertLedger(ETH);
    }

    function test_defundTransfer_revertingResolverCannotBlockTheRefund() public {
        _assertBlockedThenRefunded(address(new RevertingResolver()));
    }

    function test_defundTransfer_gasBurningResolverCannotBlockTheRefund() public {
        _assertBlockedThenRefunded(address(new GasBurningResolver()));
    }

    function test_defundTransfer_stateChangingResolverCannotWriteNorBlockTheRefund() public {
        StateChangingResolver resolver = new StateChangingResolver();
        _assertBlockedThenRefunded(address(resolver));
        assertEq(resolver.resolveCount(), 0, "the staticcall wrote nothing");
    }

    function test_defundTransfer_resolverWithoutCodeFails() public {
        _assertBlockedThenRefunded(address(0xDEAD));
    }

    function test_defundTransfer_gasBurningResolverIsBoundedByItsGasCap() public {
        Transfer memory t = _mockTransfer(address(new GasBurningResolver()));
        _single(t);
        bytes memory call = abi.encodeCall(IAdjudicator.defundTransfer, (t, bytes(""), bytes("")));
        vm.prank(bob);
        (bool ok, bytes memory ret) = address(channel).call{gas: 400_000}(call);
        assertTrue(!ok, "fails");
        bytes4 sel;
        assembly ("memory-safe") {
            sel := mload(add(ret, 0x20))
        }
        assertTrue(sel == IAdjudicator.ResolverFailed.selector, "ResolverFailed within 400k gas, not out of gas");
        // Starving the resolver on purpose is refused instead of being reported as a resolver failure.
        vm.prank(bob);
        (ok, ret) = address(channel).call{gas: 120_000}(call);
        assembly ("memory-safe") {
            sel := mload(add(ret, 0x20))
        }
        assertTrue(!ok && sel == IChannelCore.InsufficientGas.selector, "InsufficientGas");
    }

    // ─── proof depths ────────────────────────────────────────────────────────────────────────────────────

    function test_defundTransfer_proofDepth10() public {
        Transfer memory t = _t1();
        bytes32[] memory leaves = new bytes32[](1024);
        for (uint256 i = 0; i < 1024; ++i) leaves[i] = keccak256(abi.encode("other transfer", i));
        uint256 index = 777;
        leaves[index] = _leaf(t);
        bytes32[] memory proof = _proof(leaves, index);
        assertEq(proof.length, 10, "depth 10");
        ChannelState memory s = _stateWithRoot(N, _root(leaves), _asset(ETH, DEP - AMOUNT, DEP, DEP, DEP, 1));
        _toSettlement(s, t, proof);
        uint256 b0 = bob.balance;
        vm.prank(bob);
        channel.defundTransfer(t, _evidence(PREIMAGE), "");
        assertEq(bob.balance, b0 + AMOUNT, "settled at depth 10");
        // A neighbour's proof does not work for it.
        Transfer memory t2 = _t2();
        bytes32 id2 = _id(t2);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.InvalidMerkleProof.selector, id2));
        channel.disputeTransfer(s, t2, proof);
        _assertLedger(ETH);
    }

    function test_defundTransfer_proofDepthForOddTrees() public {
        // 5 leaves: the last one is carried up, so its proof is shorter than the others'.
        Transfer memory t = _t1();
        bytes32[] memory leaves = new bytes32[](5);
        for (uint256 i = 0; i < 5; ++i) leaves[i] = keccak256(abi.encode(i));
        leaves[4] = _leaf(t);
        bytes32[] memory proof = _proof(leaves, 4);
        assertEq(proof.length, 1, "carried-up leaf");
        ChannelState memory s = _stateWithRoot(N, _root(leaves), _asset(ETH, DEP - AMOUNT, DEP, DEP, DEP, 1));
        _toSettlement(s, t, proof);
        assertEq(_deadline(t), START + TIMEOUT + T_TIMEOUT, "disputed");
    }

    // ─── fuzz ────────────────────────────────────────────────────────────────────────────────────────────

    function testFuzz_defundTransfer_hashlockPaysExactlyTheAmount(
        uint256 amount,
        bytes32 preimage,
        uint256 count,
        uint256 index
    ) public {
        amount = bound(amount, 1, DEP);
        count = bound(count, 1, 40);
        index = bound(index, 0, count - 1);
        Transfer memory t = _hashlockTransfer(amount, alice, bob, preimage, expiry, T_TIMEOUT, keccak256("f"));
        bytes32[] memory leaves = new bytes32[](count);
        for (uint256 i = 0; i < count; ++i) leaves[i] = keccak256(abi.encode(preimage, i));
        leaves[index] = _leaf(t);
        ChannelState memory s = _stateWithRoot(N, _root(leaves), _asset(ETH, DEP - amount, DEP, DEP, DEP, 1));
        _toSettlement(s, t, _proof(leaves, index));
        uint256 a0 = alice.balance;
        uint256 b0 = bob.balance;
        vm.prank(bob);
        channel.defundTransfer(t, _evidence(preimage), "");
        channel.defundChannel(s, _only(ETH));
        assertEq(bob.balance, b0 + DEP + amount, "bob: balance + transfer");
        assertEq(alice.balance, a0 + DEP - amount, "alice: balance");
        assertEq(address(channel).balance, 0, "all paid, nothing more");
        _assertLedger(ETH);
    }

    function testFuzz_defundTransfer_wrongPreimageNeverPays(bytes32 preimage, bytes32 wrong, uint256 amount) public {
        vm.assume(preimage != wrong);
        amount = bound(amount, 1, DEP);
        Transfer memory t = _hashlockTransfer(amount, alice, bob, preimage, expiry, T_TIMEOUT, bytes32(0));
        _single(t);
        vm.prank(bob);
        _expectFailed(address(hashlock));
        channel.defundTransfer(t, _evidence(wrong), "");
        vm.warp(_deadline(t));
        uint256 a0 = alice.balance;
        channel.defundTransfer(t, _evidence(preimage), "");
        assertEq(alice.balance, a0 + amount, "refunded");
    }

    function testFuzz_defundTransfer_signedOutcomeSplitsExactly(uint256 amount, uint256 toResponder) public {
        amount = bound(amount, 1, DEP);
        toResponder = bound(toResponder, 0, amount);
        Transfer memory t = _signedTransfer(amount);
        _single(t);
        bytes memory evidence = _outcome(_id(t), toResponder, ORACLE_KEY);
        uint256 a0 = alice.balance;
        uint256 b0 = bob.balance;
        vm.prank(bob);
        channel.defundTransfer(t, evidence, "");
        assertEq(bob.balance - b0, toResponder, "responder share");
        assertEq(alice.balance - a0, amount - toResponder, "initiator share");
        _assertLedger(ETH);
    }

    function testFuzz_defundTransfer_resolverNeverPaysMoreThanLocked(uint256 amount, bool returnMax) public {
        amount = bound(amount, 1, DEP);
        Transfer memory t = _transfer(
            address(new OverpayingResolver(returnMax)),
            ETH,
            amount,
            alice,
            bob,
            T_TIMEOUT,
            bytes32(0),
            ""
        );
        _single(t);
        uint256 held = address(channel).balance;
        vm.prank(bob);
        channel.defundTransfer(t, "", "");
        assertEq(held - address(channel).balance, amount, "exactly the locked amount left");
        assertEq(channel.totalPaidOut(ETH), amount, "counted once");
    }

    // ─── ERC-1271 responder ──────────────────────────────────────────────────────────────────────────────

    function test_defundTransfer_watchtowerWithAnERC1271ResponderSignature() public {
        address wallet = address(new SigningWallet(bob));
        IChannel ch = IChannel(factory.createChannel(alice, wallet, keccak256("1271")));
        vm.deal(address(ch), 5 ether); // bob's plain deposit
        Transfer memory t = Transfer(address(ch), address(hashlock), ETH, 1 ether, alice, wallet, 1 days, 0, "");
        t.data = abi.encode(_lockHash(PREIMAGE), expiry);
        ChannelState memory s = _stateWithRoot(N, _leaf(t), _asset(ETH, 0, 4 ether, 0, 5 ether, 1));
        ch.disputeChannel(s, _signStateFor(address(ch), ALICE_KEY, s), _signStateFor(address(ch), BOB_KEY, s));
        vm.warp(ch.disputeRecord().consensusExpiry);
        ch.disputeTransfer(s, t, _noProof());
        bytes32 id = _id(t);
        bytes memory evidence = _evidence(PREIMAGE);
        bytes memory sig = signDigest(BOB_KEY, hasher.transferResolutionDigest(address(ch), id, evidence));
        vm.prank(eve);
        ch.defundTransfer(t, evidence, sig);
        assertEq(wallet.balance, 1 ether, "wallet paid on its owner's signature");
    }

    function test_defundTransfer_responderSignatureOverTheReferenceDigestSettles() public {
        // The responder signs the test's own EIP-712 encoding of TransferResolution(transferId, resolverData): a
        // field dropped from the contract's hash would refuse it.
        Transfer memory t = _t1();
        _single(t);
        bytes memory evidence = _evidence(PREIMAGE);
        bytes memory sig = signDigest(
            BOB_KEY,
            ReferenceHashing.transferResolutionDigest(address(channel), _id(t), evidence)
        );
        uint256 b0 = bob.balance;
        vm.prank(eve);
        channel.defundTransfer(t, evidence, sig);
        assertEq(bob.balance, b0 + AMOUNT, "bob paid via the watchtower");
    }
}
